import { AbortError, ConnectionClosedError } from '../errors.js'

interface Waiter {
  resolve: () => void
  reject: (error: Error) => void
}

/**
 * Holds calls back until the client is ready (open, authenticated, not mid-transition), so a
 * call made during a transition runs once, under the new token, and nothing is ever written on
 * a socket this client does not know to be open and authenticated.
 */
export class ReadyGate {
  #ready = false
  #closedWith: Error | undefined
  #waiters = new Set<Waiter>()

  /** True while calls may go straight through. */
  get isOpen(): boolean {
    return this.#ready
  }

  open(): void {
    this.#ready = true
    for (const waiter of this.#drain()) waiter.resolve()
  }

  shut(): void {
    this.#ready = false
  }

  /** Ends the gate for good: every waiter and every later wait rejects with `error`. */
  close(error: Error): void {
    this.#ready = false
    this.#closedWith = error
    for (const waiter of this.#drain()) waiter.reject(error)
  }

  /**
   * Resolves when the gate opens. Rejects with `NOT_CONNECTED` after `timeoutMs` (nothing was
   * written) or with an {@link AbortError} when the signal fires; the timer and listener are
   * released either way.
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.#closedWith) return Promise.reject(this.#closedWith)
    if (this.#ready) return Promise.resolve()
    if (signal?.aborted) return Promise.reject(new AbortError(undefined, { cause: signal.reason }))
    return new Promise<void>((resolve, reject) => {
      const settle = (fn: () => void) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#waiters.delete(waiter)
        fn()
      }
      const waiter: Waiter = {
        resolve: () => settle(resolve),
        reject: (error) => settle(() => reject(error)),
      }
      const onAbort = () => waiter.reject(new AbortError(undefined, { cause: signal?.reason }))
      const timer = setTimeout(
        () =>
          waiter.reject(
            new ConnectionClosedError(`Not connected and authenticated within ${timeoutMs} ms`, { notSent: true }),
          ),
        timeoutMs,
      )
      this.#waiters.add(waiter)
      signal?.addEventListener('abort', onAbort, { once: true })
    })
  }

  #drain(): Waiter[] {
    const waiters = [...this.#waiters]
    this.#waiters.clear()
    return waiters
  }
}
