import type { RpcErrorObject } from '../protocol/types.js'

/** Request-level faults the dispatcher consults on every call. */
export class FaultState {
  /** Extra delay before each request is handled, ms (0: none). */
  delayMs = 0
  readonly #failures = new Map<string, { remaining: number; error: RpcErrorObject }>()

  /** The next `count` calls of `method` answer `error` without being handled. */
  failNext(method: string, count: number, error: RpcErrorObject): void {
    if (count <= 0) this.#failures.delete(method)
    else this.#failures.set(method, { remaining: count, error })
  }

  /** The injected error for this call of `method`, if one is pending. */
  take(method: string): RpcErrorObject | undefined {
    const f = this.#failures.get(method)
    if (f === undefined) return undefined
    if (--f.remaining <= 0) this.#failures.delete(method)
    return f.error
  }

  reset(): void {
    this.delayMs = 0
    this.#failures.clear()
  }
}
