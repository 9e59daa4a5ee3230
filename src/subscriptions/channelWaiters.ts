import { AbortError, type DeribitError, TimeoutError } from '../errors.js'

/** Whether `channels` are all on the wire (`'on'`) or all off it (`'off'`) now. */
export type SettledCheck = (channels: readonly string[], until: 'on' | 'off') => boolean

interface Waiter {
  channels: readonly string[]
  until: 'on' | 'off'
  resolve: () => void
  reject: (error: DeribitError) => void
}

/**
 * Callers waiting for channels to reach the wire or leave it. Each waiter holds a timer and an
 * abort listener, released however it ends; the subscription manager re-checks them whenever
 * the wire changes.
 */
export class ChannelWaiters {
  readonly #waiters = new Set<Waiter>()
  readonly #isSettled: SettledCheck

  constructor(isSettled: SettledCheck) {
    this.#isSettled = isSettled
  }

  /** Resolves when `channels` are settled; rejects at the deadline, on `signal`, or by {@link reject}. */
  async wait(channels: readonly string[], until: 'on' | 'off', deadline: number, signal?: AbortSignal): Promise<void> {
    if (this.#isSettled(channels, until)) return
    await new Promise<void>((resolve, reject) => {
      const done = (fn: () => void) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#waiters.delete(waiter)
        fn()
      }
      const waiter: Waiter = {
        channels,
        until,
        resolve: () => done(resolve),
        reject: (error) => done(() => reject(error)),
      }
      const onAbort = () => waiter.reject(new AbortError(undefined, { cause: signal?.reason }))
      const timer = setTimeout(
        () =>
          waiter.reject(new TimeoutError(`Channels not ${until} the wire by the deadline`, { method: 'subscribe' })),
        Math.max(0, deadline - Date.now()),
      )
      if (signal?.aborted) return onAbort()
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(waiter)
    })
  }

  /** Resolves every waiter whose channels are settled now. */
  recheck(): void {
    for (const waiter of [...this.#waiters]) {
      if (this.#isSettled(waiter.channels, waiter.until)) waiter.resolve()
    }
  }

  /**
   * Rejects the waiters for `channel` to come on the wire (every waiter when undefined, on close);
   * true when there was one.
   */
  reject(error: DeribitError, channel?: string): boolean {
    let waited = false
    for (const waiter of [...this.#waiters]) {
      if (channel !== undefined && (waiter.until !== 'on' || !waiter.channels.includes(channel))) continue
      waited = true
      waiter.reject(error)
    }
    return waited
  }
}
