import type { TypedEmitter } from './typedEmitter.js'

/**
 * The listening half of a {@link TypedEmitter}: what a class hands its users, who may add and
 * remove their own listeners but can neither emit its events nor remove the listeners of others
 * (the client's own among them). The class emits through the emitter it keeps to itself.
 */
export class EventSource<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #emitter: TypedEmitter<Events>

  /** @param emitter the owner's emitter; only the owner emits on it. */
  constructor(emitter: TypedEmitter<Events>) {
    this.#emitter = emitter
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    return this.#emitter.on(event, listener)
  }

  /** Adds a listener that is removed after its first call; returns a function that removes it. */
  once<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): () => void {
    return this.#emitter.once(event, listener)
  }

  /** Removes one registration of `listener`. */
  off<K extends keyof Events>(event: K, listener: (...args: Events[K]) => void): void {
    this.#emitter.off(event, listener)
  }

  /** Number of listeners of `event`, or of all events. */
  listenerCount(event?: keyof Events): number {
    return this.#emitter.listenerCount(event)
  }
}
