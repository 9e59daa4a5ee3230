/**
 * Runs at most one call per key at a time: while one runs, every other caller gets the
 * same promise (50 concurrent "refresh now" calls make one refresh).
 */
export class SingleFlight<T> {
  readonly #inFlight = new Map<string, Promise<T>>()

  /** Runs `fn` unless a call for the default key is in flight, in which case its promise is returned. */
  run(fn: () => Promise<T>): Promise<T>
  /** Runs `fn` unless a call for `key` is in flight, in which case its promise is returned. */
  run(key: string, fn: () => Promise<T>): Promise<T>
  run(keyOrFn: string | (() => Promise<T>), maybeFn?: () => Promise<T>): Promise<T> {
    const key = typeof keyOrFn === 'string' ? keyOrFn : ''
    const fn = typeof keyOrFn === 'string' ? maybeFn : keyOrFn
    if (fn === undefined) throw new TypeError('SingleFlight.run needs a function')
    const running = this.#inFlight.get(key)
    if (running !== undefined) return running
    let promise: Promise<T>
    try {
      promise = fn()
    } catch (error) {
      promise = Promise.reject(error)
    }
    const tracked = promise.finally(() => {
      if (this.#inFlight.get(key) === tracked) this.#inFlight.delete(key)
    })
    this.#inFlight.set(key, tracked)
    return tracked
  }

  /** True while a call for `key` runs. */
  isRunning(key = ''): boolean {
    return this.#inFlight.has(key)
  }

  /** The in-flight promise for `key`, if any. */
  current(key = ''): Promise<T> | undefined {
    return this.#inFlight.get(key)
  }
}
