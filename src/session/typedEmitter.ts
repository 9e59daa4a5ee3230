type StoredListener = (...args: never[]) => void

/**
 * A minimal typed event emitter. Unlike `node:events`, a throwing listener never throws
 * out of `emit` (which runs on hot paths such as message dispatch): the error goes to
 * `onListenerError`, and other listeners still run. There is no special `'error'` event.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #listeners = new Map<keyof Events, Set<StoredListener>>()
  readonly #onListenerError: ((error: unknown, event: keyof Events) => void) | undefined

  constructor(options: { onListenerError?: (error: unknown, event: keyof Events) => void } = {}) {
    this.#onListenerError = options.onListenerError
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    let set = this.#listeners.get(event)
    if (set === undefined) {
      set = new Set()
      this.#listeners.set(event, set)
    }
    set.add(listener as unknown as StoredListener)
    return () => this.off(event, listener)
  }

  /** Removes a listener added with {@link on}. */
  off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): void {
    const set = this.#listeners.get(event)
    if (set === undefined) return
    set.delete(listener as unknown as StoredListener)
    if (set.size === 0) this.#listeners.delete(event)
  }

  /** Number of listeners for `event`. */
  listenerCount(event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0
  }

  /** Removes every listener (of one event, or of all). */
  removeAllListeners(event?: keyof Events): void {
    if (event === undefined) this.#listeners.clear()
    else this.#listeners.delete(event)
  }

  /** Calls each listener of `event`; returns whether there was any. */
  protected emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    const set = this.#listeners.get(event)
    if (set === undefined) return false
    for (const listener of [...set]) {
      try {
        ;(listener as unknown as (...a: Events[K]) => void)(...args)
      } catch (error) {
        try {
          this.#onListenerError?.(error, event)
        } catch {
          // An error reporter that throws has nowhere left to report to.
        }
      }
    }
    return true
  }
}
