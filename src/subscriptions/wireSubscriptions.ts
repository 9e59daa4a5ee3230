import { isPrivateChannel } from '../protocol/channels.js'

/**
 * What the server confirmed on the current connection, by the names the user asked for.
 * Reset on a new connection (everything) or a new identity (private channels end
 * silently then, protocol reference §10.3).
 */
export class WireSubscriptions {
  readonly #channels = new Set<string>()
  readonly #canonical: (echoed: string) => string

  /** @param canonical maps a server-echoed name to the name the user asked for. */
  constructor(canonical: (echoed: string) => string = (c) => c) {
    this.#canonical = canonical
  }

  /** Records channels the server confirmed (a subscribe result). */
  markSubscribed(channels: Iterable<string>): void {
    for (const c of channels) this.#channels.add(this.#canonical(c))
  }

  /** Records channels the server confirmed as unsubscribed. */
  markUnsubscribed(channels: Iterable<string>): void {
    for (const c of channels) this.#channels.delete(this.#canonical(c))
  }

  /** Forgets all (new connection) or only private channels (new identity on the same connection). */
  resetWire(scope: 'all' | 'private' = 'all'): void {
    if (scope === 'all') {
      this.#channels.clear()
      return
    }
    for (const c of this.#channels) if (isPrivateChannel(c)) this.#channels.delete(c)
  }

  has(channel: string): boolean {
    return this.#channels.has(this.#canonical(channel))
  }

  /** Confirmed channels. */
  channels(): string[] {
    return [...this.#channels]
  }

  get size(): number {
    return this.#channels.size
  }

  /** What to send to reach `desired`: channels to subscribe and channels to unsubscribe. */
  diff(desired: Iterable<string>): { toSubscribe: string[]; toUnsubscribe: string[] } {
    const want = new Set(desired)
    const toSubscribe = [...want].filter((c) => !this.#channels.has(c))
    const toUnsubscribe = [...this.#channels].filter((c) => !want.has(c))
    return { toSubscribe, toUnsubscribe }
  }
}
