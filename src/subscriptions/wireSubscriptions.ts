import { isPrivateChannel } from '../protocol/channels.js'

/**
 * What the server confirmed on the current connection, by the names the user asked for (the
 * caller maps names the server echoed in another case back first, see
 * `SubscriptionRegistry.canonicalChannel`). Reset on a new connection (everything) or a new
 * identity (private channels end silently then, protocol reference §10.3).
 */
export class WireSubscriptions {
  // Kept apart so that a new identity drops the private ones in one step (a transition with
  // hundreds of channels otherwise scanned every name).
  readonly #public = new Set<string>()
  readonly #private = new Set<string>()

  /** Records channels the server confirmed subscribed. */
  markSubscribed(channels: Iterable<string>): void {
    for (const c of channels) (isPrivateChannel(c) ? this.#private : this.#public).add(c)
  }

  /** Records channels the server confirmed unsubscribed. */
  markUnsubscribed(channels: Iterable<string>): void {
    for (const c of channels) {
      this.#public.delete(c)
      this.#private.delete(c)
    }
  }

  /** Forgets all (new connection) or only private channels (new identity on the same connection). */
  resetWire(scope: 'all' | 'private' = 'all'): void {
    this.#private.clear()
    if (scope === 'all') this.#public.clear()
  }

  /** Whether `channel`, by the name the user asked for, is confirmed on the wire. */
  has(channel: string): boolean {
    return this.#public.has(channel) || this.#private.has(channel)
  }

  /**
   * The channels of `channels` not confirmed on the wire, in order. One pass and no closure per
   * name: after a new identity or connection the sets are empty and nothing is looked up, since
   * a transition with a thousand channels runs this once, cold.
   */
  notOnWire(channels: readonly string[]): string[] {
    const pub = this.#public
    const priv = this.#private
    if (pub.size === 0 && priv.size === 0) return channels.slice()
    // A name is looked up only in its own kind's set, and not at all when that set is empty
    // (the private one, right after a new identity): each probe of a large set is a cache miss.
    const out: string[] = []
    for (const c of channels) {
      const set = isPrivateChannel(c) ? priv : pub
      if (set.size === 0 || !set.has(c)) out.push(c)
    }
    return out
  }

  /** Confirmed channels. */
  channels(): string[] {
    return [...this.#public, ...this.#private]
  }

  get size(): number {
    return this.#public.size + this.#private.size
  }

  /** What to send to reach `desired`: channels to subscribe and channels to unsubscribe. */
  diff(desired: Iterable<string>): { toSubscribe: string[]; toUnsubscribe: string[] } {
    const want = new Set(desired)
    const toSubscribe = this.notOnWire([...want])
    const toUnsubscribe = this.channels().filter((c) => !want.has(c))
    return { toSubscribe, toUnsubscribe }
  }
}
