import { isPrivateChannel } from '../protocol/channels.js'

/** A notification handler: the data, the channel as the user asked for it, and the label if any. */
export type NotificationHandler = (data: unknown, channel: string, label: string | undefined) => void

/** Options of {@link SubscriptionRegistry}. */
export interface SubscriptionRegistryOptions {
  /** Receives errors thrown by handlers; dispatch goes on regardless. */
  onHandlerError?: (error: unknown, channel: string) => void
  /** The identity whose private channels are live at first. @default '' */
  initialIdentity?: string
}

type HandlerMap = Map<string, Set<NotificationHandler>>

const NO_HANDLERS: ReadonlySet<NotificationHandler> = new Set()

/**
 * The DESIRED subscriptions, keyed by what the user asked for. Public channels are shared
 * by every identity; private (`user.*`) channels are kept per identity key, because they
 * deliver one account's events, and a new exchange session ends them. `dispatch` routes notifications
 * to the public set or to the active identity's private set.
 */
export class SubscriptionRegistry {
  readonly #public: HandlerMap = new Map()
  readonly #private = new Map<string, HandlerMap>()
  /** lower-case name → asked name, for servers that echo a different case. */
  readonly #aliases = new Map<string, string>()
  readonly #onHandlerError: ((error: unknown, channel: string) => void) | undefined
  #activeIdentity: string
  #activePrivate: HandlerMap
  /**
   * The last channel `dispatch` found, and its handlers: a stream of one channel then costs a
   * string comparison instead of hashing a freshly parsed name for the Map. Cleared by every
   * change to the maps or the active identity.
   */
  #hotChannel: string | undefined
  #hotSet: ReadonlySet<NotificationHandler> = NO_HANDLERS

  constructor(options: SubscriptionRegistryOptions = {}) {
    this.#onHandlerError = options.onHandlerError
    this.#activeIdentity = options.initialIdentity ?? ''
    this.#activePrivate = this.#privateMap(this.#activeIdentity)
  }

  /** The identity whose private channels `dispatch` serves. */
  get activeIdentity(): string {
    return this.#activeIdentity
  }

  /**
   * Adds `handler` for `channels` (private ones under `identityKey`). Returns the channels
   * that were not desired before in that scope: those to subscribe on the wire.
   */
  add(channels: Iterable<string>, handler: NotificationHandler, identityKey: string): { newChannels: string[] } {
    this.#forgetHot()
    const newChannels: string[] = []
    for (const channel of new Set(channels)) {
      const map = isPrivateChannel(channel) ? this.#privateMap(identityKey) : this.#public
      let set = map.get(channel)
      if (set === undefined) {
        set = new Set()
        map.set(channel, set)
        newChannels.push(channel)
        this.#aliases.set(channel.toLowerCase(), channel)
      }
      set.add(handler)
    }
    return { newChannels }
  }

  /**
   * Removes `handler` (or every handler when omitted) from `channels`. Returns the channels
   * left with no handler in that scope: those to unsubscribe on the wire.
   */
  remove(
    channels: Iterable<string>,
    handler: NotificationHandler | undefined,
    identityKey: string,
  ): { goneChannels: string[] } {
    this.#forgetHot()
    const goneChannels: string[] = []
    for (const channel of new Set(channels)) {
      const map = isPrivateChannel(channel) ? this.#private.get(identityKey) : this.#public
      const set = map?.get(channel)
      if (map === undefined || set === undefined) continue
      if (handler === undefined) set.clear()
      else set.delete(handler)
      if (set.size === 0) {
        map.delete(channel)
        goneChannels.push(channel)
        this.#dropAlias(channel)
      }
    }
    return { goneChannels }
  }

  /** Removes `handler` from every channel of every identity. Returns what is gone for the public set and the active identity. */
  removeHandler(handler: NotificationHandler): { goneChannels: string[] } {
    this.#forgetHot()
    const goneChannels: string[] = []
    const sweep = (map: HandlerMap, report: boolean) => {
      for (const [channel, set] of map) {
        if (!set.delete(handler) || set.size > 0) continue
        map.delete(channel)
        this.#dropAlias(channel)
        if (report) goneChannels.push(channel)
      }
    }
    sweep(this.#public, true)
    for (const [key, map] of this.#private) sweep(map, key === this.#activeIdentity)
    return { goneChannels }
  }

  /** Desired public channels. */
  publicChannels(): string[] {
    return [...this.#public.keys()]
  }

  /** Desired private channels of `identityKey`. */
  privateChannels(identityKey: string): string[] {
    return [...(this.#private.get(identityKey)?.keys() ?? [])]
  }

  /**
   * Everything the connection should carry while `identityKey` (default: the active one) is
   * authenticated. Private channels come first: a resubscription sends them in its first
   * requests, so the blind window of the account's own events is the shortest.
   */
  desiredChannels(identityKey: string = this.#activeIdentity): string[] {
    return [...this.privateChannels(identityKey), ...this.publicChannels()]
  }

  /**
   * True when `identityKey` has a private set of its own (even an empty one): it has been
   * active or had channels added. An identity the user emptied on purpose stays empty.
   */
  hasIdentity(identityKey: string): boolean {
    return this.#private.has(identityKey)
  }

  /**
   * Moves dispatch to `toKey`. If `toKey` has no private set of its own, it inherits a copy of
   * `fromKey`'s (same handlers; later changes to one do not touch the other); if it has one,
   * that set is restored as it was. Returns `toKey`'s private channels (to subscribe on the wire,
   * since private subscriptions end on a change of identity).
   */
  adoptIdentity(fromKey: string, toKey: string): { privateChannels: string[] } {
    this.#forgetHot()
    if (fromKey !== toKey && !this.hasIdentity(toKey)) {
      const copy: HandlerMap = new Map()
      for (const [channel, set] of this.#private.get(fromKey) ?? []) copy.set(channel, new Set(set))
      this.#private.set(toKey, copy)
    }
    this.#activeIdentity = toKey
    this.#activePrivate = this.#privateMap(toKey)
    return { privateChannels: this.privateChannels(toKey) }
  }

  /** Drops an identity's private set (e.g. its session was revoked). */
  forgetIdentity(identityKey: string): void {
    this.#forgetHot()
    if (identityKey === this.#activeIdentity) this.#activePrivate.clear()
    else this.#private.delete(identityKey)
  }

  /** The name the user asked for, given the name the server echoed (same name when it matches). */
  canonicalChannel(echoed: string): string {
    if (this.#public.has(echoed) || this.#activePrivate.has(echoed)) return echoed
    return this.#aliases.get(echoed.toLowerCase()) ?? echoed
  }

  /**
   * HOT PATH: calls every handler of `channel`. A throwing handler is reported through
   * `onHandlerError` and does not stop the others. Returns how many handlers ran.
   */
  dispatch(channel: string, data: unknown, label?: string): number {
    let set: ReadonlySet<NotificationHandler> | undefined
    if (channel === this.#hotChannel) {
      set = this.#hotSet
    } else {
      // `add` files a name in exactly one scope, so the two maps never share a key.
      set = this.#public.get(channel) ?? this.#activePrivate.get(channel)
      if (set !== undefined) {
        this.#hotChannel = channel
        this.#hotSet = set
      } else {
        // An echo in another case: not cached, since handlers must get the asked name.
        const asked = this.#aliases.get(channel.toLowerCase())
        if (asked === undefined || asked === channel) return 0
        channel = asked
        set = (isPrivateChannel(channel) ? this.#activePrivate : this.#public).get(channel)
        if (set === undefined) return 0
      }
    }
    let count = 0
    for (const handler of set) {
      count++
      try {
        handler(data, channel, label)
      } catch (error) {
        try {
          this.#onHandlerError?.(error, channel)
        } catch {
          // Nothing left to report to; dispatch must go on.
        }
      }
    }
    return count
  }

  /** A name no scope desires any more keeps no memory behind (a long-lived bot subscribes many). */
  #dropAlias(channel: string): void {
    if (this.#public.has(channel)) return
    for (const map of this.#private.values()) if (map.has(channel)) return
    const key = channel.toLowerCase()
    if (this.#aliases.get(key) === channel) this.#aliases.delete(key)
  }

  /** Entries kept for name mapping (for memory checks). */
  get aliasCount(): number {
    return this.#aliases.size
  }

  #forgetHot(): void {
    this.#hotChannel = undefined
    this.#hotSet = NO_HANDLERS
  }

  #privateMap(identityKey: string): HandlerMap {
    let map = this.#private.get(identityKey)
    if (map === undefined) {
      map = new Map()
      this.#private.set(identityKey, map)
    }
    return map
  }
}
