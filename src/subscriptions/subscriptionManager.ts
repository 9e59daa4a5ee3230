import type { DeribitError } from '../errors.js'
import type { Logger } from '../transport/logger.js'
import { ChannelWaiters } from './channelWaiters.js'
import { type Subscription, subscriptionInternals } from './subscription.js'
import { type NotificationHandler, SubscriptionRegistry } from './subscriptionRegistry.js'
import { type BehindAuthentication, type WireCall, WireSubscriptions } from './wireSubscriptions.js'

/** The socket subscription frames may be written on now, or undefined while they may not. */
export interface WireTarget {
  epoch: number
  /** Authenticated connections subscribe with `private/subscribe` (which takes both kinds). */
  authenticated: boolean
}

/** Options of {@link SubscriptionManager}. */
export interface SubscriptionManagerOptions {
  /** Where frames may go now: undefined while disconnected or while a transition re-authenticates. */
  target: () => WireTarget | undefined
  /** False while the socket is down: what is desired then is restored by the reconnect. */
  connected: () => boolean
  /** Sends one request pinned to its socket. */
  call: WireCall
  logger: Logger
  /** The identity whose private channels are live before the first sign-in. */
  initialIdentity: string
  /** A channel the exchange refused that no pending call was waiting for (it was restored, say). */
  onRefused: (channel: string, error: DeribitError) => void
  /** Book channels subscribed again for a fresh snapshot after a gap, and how long it took. */
  onResnapshot: (channels: string[], ms: number) => void
  /** Receives what a notification handler threw. */
  onHandlerError: (error: unknown, channel: string) => void
  /** Private channels every signed-in identity carries (the order tracker's), added at each new session. */
  signedInChannels?: readonly string[]
}

/** Most request passes one sync makes before it yields (a safety net against a flapping exchange). */
const MAX_PASSES = 16

/**
 * Subscriptions converge: the DESIRED channels (public, plus the active identity's private
 * ones) against what is on the wire of the current socket, requests in flight included. This
 * is the only writer of subscribe and unsubscribe frames. Every change (subscribe, unsubscribe,
 * a subscription's end, a new identity, a new socket, a book gap, a failure) marks it dirty, and
 * {@link sync} sends what closes the gap until both agree. Nothing is dropped while the wire is
 * unavailable: the next sync sends it.
 */
export class SubscriptionManager {
  /** Desired channels and their handlers, per identity. */
  readonly registry: SubscriptionRegistry
  readonly #wire = new WireSubscriptions()
  readonly #options: SubscriptionManagerOptions
  readonly #subscriptions = new Map<Subscription, NotificationHandler>()
  readonly #waiters = new ChannelWaiters((channels, until) => this.#isSettled(channels, until))
  /** Book channels to unsubscribe and subscribe again for a fresh snapshot. */
  readonly #resnapshot = new Set<string>()
  /** When each resnapshot began, until its channel is confirmed again. */
  readonly #resnapshotSince = new Map<string, number>()
  /** Channels refused on the current wire: not asked again until re-added or a new socket or session. */
  readonly #refused = new Set<string>()
  #running: Promise<string[]> | undefined
  #dirty = false
  /** A pass found no wire to write on (suspended by a transition, or no socket): owed when it returns. */
  #deferred = false
  #epoch = -1

  constructor(options: SubscriptionManagerOptions) {
    this.#options = options
    this.registry = new SubscriptionRegistry({
      initialIdentity: options.initialIdentity,
      onHandlerError: options.onHandlerError,
    })
  }

  /** Live subscriptions. */
  get subscriptions(): IterableIterator<Subscription> {
    return this.#subscriptions.keys()
  }

  /** Channels confirmed on the wire of the current socket. */
  get onWire(): string[] {
    return this.#wire.channels()
  }

  /** Adds a subscription's handler under `identity` (private channels) and the public set. */
  add(subscription: Subscription, handler: NotificationHandler, identity: string): void {
    this.#subscriptions.set(subscription, handler)
    this.registry.add(subscription.channels, handler, identity)
    for (const c of subscription.channels) this.#refused.delete(c)
  }

  /** Adds an internal handler (no Subscription object), e.g. the order tracker's own channel. */
  addInternal(channels: readonly string[], handler: NotificationHandler, identity: string): void {
    this.registry.add(channels, handler, identity)
  }

  /** Ends a subscription: its handler leaves every identity. Resolves the channels no longer desired. */
  remove(subscription: Subscription, error?: unknown): readonly string[] {
    const handler = this.#subscriptions.get(subscription)
    subscriptionInternals(subscription).end(error)
    if (handler === undefined) return []
    this.#subscriptions.delete(subscription)
    this.registry.removeHandler(handler)
    return subscription.channels.filter((c) => !this.#desired().has(c))
  }

  /**
   * Takes `channels` away from every subscription: one made only of them ends, the others stop
   * receiving them. Internal handlers (the order tracker's channel) are not the user's to remove.
   */
  removeChannels(channels: readonly string[], identity: string): void {
    for (const [subscription, handler] of [...this.#subscriptions]) {
      const taken = subscription.channels.filter((c) => channels.includes(c))
      if (taken.length === 0) continue
      if (taken.length === subscription.channels.length) this.remove(subscription)
      else this.registry.remove(taken, handler, identity)
    }
  }

  /** Moves private dispatch and the desired private set to `identity`. */
  activate(identity: string): void {
    if (identity !== this.registry.activeIdentity) this.registry.adoptIdentity(this.registry.activeIdentity, identity)
  }

  /** The exchange started a new session on the socket: its private subscriptions have ended. */
  newExchangeSession(): void {
    this.#wire.forgetPrivate()
    for (const c of [...this.#refused]) if (c.startsWith('user.')) this.#refused.delete(c)
  }

  /** A book gap: the channel is unsubscribed and, if still desired, subscribed again. */
  resnapshot(channel: string): void {
    this.#resnapshot.add(channel)
    this.#resnapshotSince.set(channel, Date.now())
    void this.sync()
  }

  /**
   * Sends what closes the gap between desired and wire, pass after pass, until they agree or
   * the wire is unavailable. Concurrent callers share one run, which re-checks after every pass,
   * so a change made during a run is covered by awaiting it. Resolves with the channels confirmed.
   */
  sync(): Promise<string[]> {
    this.#dirty = true
    this.#running ??= this.#loop().finally(() => {
      this.#running = undefined
      if (this.#dirty && this.#options.target() !== undefined) void this.sync()
    })
    return this.#running
  }

  /**
   * The wire carries an identity again after a transition suspended it. Only what was asked
   * meanwhile (or a pass still running) needs a pass: a refresh over 1,000 unchanged channels
   * spent more on comparing them than on anything else of its own.
   */
  resumed(): void {
    if (!this.#deferred && this.#running === undefined) return
    this.#deferred = false
    void this.sync()
  }

  /**
   * Subscribes, right behind an authentication just written on the socket of `epoch`, what the
   * identity it signs in as will want (`identityKey`; undefined: the active identity's channels
   * carry over): every desired channel on a `fresh` socket, else the private ones (a new session
   * ends them, public ones stay). What the exchange confirms counts once the
   * authentication landed and was committed; otherwise the next sync sends what is missing and
   * takes back what the identity still on the connection does not want. Resolves with the
   * channels confirmed for the new session.
   */
  subscribeBehind(
    epoch: number,
    identityKey: string | undefined,
    behind: BehindAuthentication,
    fresh: boolean,
  ): Promise<string[]> {
    const registry = this.registry
    const key = identityKey !== undefined && registry.hasIdentity(identityKey) ? identityKey : registry.activeIdentity
    const channels = registry.privateChannels(key)
    for (const c of this.#options.signedInChannels ?? []) if (!channels.includes(c)) channels.push(c)
    if (epoch !== this.#epoch) {
      this.#epoch = epoch
      this.#wire.sync(epoch)
      this.#refused.clear()
    }
    if (fresh) channels.push(...registry.publicChannels())
    if (channels.length === 0) return Promise.resolve([])
    const sent = this.#wire.subscribe(this.#options.call, channels, true, { epoch, behind })
    return sent.then(async (outcome) => {
      for (const { channel, error } of outcome.refused) this.#refuse(channel, error)
      this.#settleWaiters()
      // What the round left unsettled, or confirmed for the identity left behind, converges now.
      const stray = !(await behind.landed) && outcome.confirmed.length > 0
      if ((stray || outcome.unsettled.length > 0) && this.#options.target() !== undefined) void this.sync()
      return stray ? [] : outcome.confirmed
    })
  }

  /**
   * Resolves when every channel is on the wire (`'on'`) or off it (`'off'`), or the wire is
   * unavailable (the next connection restores the desired set). Rejects when the exchange
   * refuses one of the channels, or at the deadline or signal.
   */
  settled(channels: readonly string[], until: 'on' | 'off', deadline: number, signal?: AbortSignal): Promise<void> {
    return this.#waiters.wait(channels, until, deadline, signal)
  }

  /** The wire changed under the manager (a new socket, a close): waiters re-check. */
  wireChanged(): void {
    this.#settleWaiters()
  }

  /** Ends every subscription and waiter (on close). */
  close(error: DeribitError): void {
    for (const subscription of [...this.#subscriptions.keys()]) this.remove(subscription)
    this.#waiters.reject(error)
  }

  #desired(): Set<string> {
    return new Set(this.registry.desiredChannels())
  }

  async #loop(): Promise<string[]> {
    const confirmed: string[] = []
    let passes = 0
    while (this.#dirty && passes < MAX_PASSES) {
      this.#dirty = false
      const target = this.#options.target()
      if (target === undefined) {
        this.#deferred = true
        break
      }
      if (target.epoch !== this.#epoch) {
        this.#epoch = target.epoch
        this.#wire.sync(target.epoch)
        this.#refused.clear()
      }
      const desired = this.#desired()
      // A refused name is held back only while something still wants it; then it is forgotten.
      for (const c of this.#refused) {
        if (desired.has(c)) desired.delete(c)
        else this.#refused.delete(c)
      }
      for (const c of this.#resnapshot) {
        if (desired.has(c)) continue
        this.#resnapshot.delete(c)
        this.#resnapshotSince.delete(c)
      }
      const { subscribe, unsubscribe } = this.#wire.diff(desired, this.#resnapshot)
      if (subscribe.length === 0 && unsubscribe.length === 0) break
      passes++
      const options = { epoch: target.epoch }
      await Promise.all([
        unsubscribe.length === 0
          ? undefined
          : this.#wire.unsubscribe(this.#options.call, unsubscribe, target.authenticated, options).then(
              () => {
                for (const c of unsubscribe) this.#resnapshot.delete(c)
              },
              (error: unknown) => this.#options.logger.warn({ error: String(error) }, 'unsubscribe failed'),
            ),
        subscribe.length === 0
          ? undefined
          : this.#wire.subscribe(this.#options.call, subscribe, target.authenticated, options).then((outcome) => {
              confirmed.push(...outcome.confirmed)
              for (const { channel, error } of outcome.refused) this.#refuse(channel, error)
              this.#resnapshotted(outcome.confirmed)
            }),
      ])
      this.#settleWaiters()
      this.#dirty = true
    }
    this.#settleWaiters()
    return confirmed
  }

  /** Reports book channels confirmed again after a gap's unsubscribe. */
  #resnapshotted(confirmed: readonly string[]): void {
    if (this.#resnapshotSince.size === 0) return
    const now = Date.now()
    const healed: string[] = []
    let since = now
    for (const channel of confirmed) {
      const at = this.#resnapshotSince.get(channel)
      if (at === undefined || this.#resnapshot.has(channel)) continue
      this.#resnapshotSince.delete(channel)
      healed.push(channel)
      since = Math.min(since, at)
    }
    if (healed.length > 0) this.#options.onResnapshot(healed, now - since)
  }

  /** One verdict for every caller of a refused channel; the subscriptions holding it end (all or nothing). */
  #refuse(channel: string, error: DeribitError): void {
    this.#refused.add(channel)
    const waited = this.#waiters.reject(error, channel)
    for (const subscription of [...this.#subscriptions.keys()]) {
      if (subscription.channels.includes(channel)) this.remove(subscription, error)
    }
    if (!waited) this.#options.onRefused(channel, error)
  }

  #isSettled(channels: readonly string[], until: 'on' | 'off'): boolean {
    if (!this.#options.connected()) return true
    const desired = this.#desired()
    if (until === 'on') return channels.every((c) => this.#wire.has(c) || !desired.has(c))
    return channels.every((c) => !this.#wire.has(c) || desired.has(c))
  }

  #settleWaiters(): void {
    this.#waiters.recheck()
  }
}
