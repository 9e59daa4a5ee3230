/**
 * A minimal typed event emitter. Unlike Node's EventEmitter, `'error'` has no special meaning:
 * emitting an event nobody listens to does nothing, so recoverable trouble never crashes the
 * process. A listener that throws does not disturb the emitter or the other listeners; the
 * error goes to `onListenerError`.
 *
 * `Events` maps each event name to the tuple of its arguments.
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  // Copy-on-write arrays: emit iterates without copying, which matters on the per-frame path.
  #listeners: { [K in keyof Events]?: Array<(...args: Events[K]) => void> } = {}
  readonly #onListenerError: (error: unknown, event: keyof Events) => void

  /** @param onListenerError receives what a listener threw. @default ignore */
  constructor(onListenerError: (error: unknown, event: keyof Events) => void = () => {}) {
    this.#onListenerError = onListenerError
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    const current = this.#listeners[event]
    this.#listeners[event] = current === undefined ? [listener] : [...current, listener]
    return () => this.off(event, listener)
  }

  /** Adds a listener that is removed after its first call; returns a function that removes it. */
  once<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    const wrapper = (...args: Events[K]): void => {
      this.off(event, wrapper)
      listener(...args)
    }
    return this.on(event, wrapper)
  }

  /** Removes one registration of `listener`. */
  off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): void {
    const current = this.#listeners[event]
    if (current === undefined) return
    const index = current.indexOf(listener)
    if (index === -1) return
    const next = current.slice()
    next.splice(index, 1)
    if (next.length === 0) delete this.#listeners[event]
    else this.#listeners[event] = next
  }

  /** Removes every listener of `event`, or of every event. */
  removeAllListeners(event?: keyof Events): void {
    if (event === undefined) this.#listeners = {}
    else delete this.#listeners[event]
  }

  /** Number of listeners of `event`, or of all events. */
  listenerCount(event?: keyof Events): number {
    if (event !== undefined) return this.#listeners[event]?.length ?? 0
    let total = 0
    for (const key of Object.keys(this.#listeners) as Array<keyof Events>) total += this.#listeners[key]?.length ?? 0
    return total
  }

  /** Calls every listener of `event`; returns whether there was any. */
  emit<K extends keyof Events>(event: K, ...args: Events[K]): boolean {
    const listeners = this.#listeners[event]
    if (listeners === undefined) return false
    for (const listener of listeners) {
      try {
        listener(...args)
      } catch (error) {
        this.#onListenerError(error, event)
      }
    }
    return true
  }
}
