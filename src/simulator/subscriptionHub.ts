import { channelInterval } from '../protocol/channels.js'
import type { EventSink, InstrumentFacts, UserEventFamily } from './contract.js'
import { matchesUserEvent, type PrivateMatcher } from './privateChannels.js'

/** A connection as the hub sees it: somewhere to write notification frames. */
export interface Subscriber {
  readonly id: number
  /** Writes one text frame (dropped while the connection is half-open). */
  deliver(frame: string): void
}

/** The identity a private subscription belongs to. */
export interface Identity {
  accountId: number
  /** `accountId` plus session name (or `connection`): equal keys mean the same identity. */
  key: string
}

interface PublicEntry {
  readonly channel: string
  /** `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"…","data":` — built once per channel. */
  readonly prefix: string
  readonly subscribers: Set<Subscriber>
}

interface PrivateSub {
  readonly subscriber: Subscriber
  readonly channel: string
  readonly matcher: PrivateMatcher
  readonly identity: Identity
  readonly prefix: string
}

type ConnSub = { kind: 'public'; entry: PublicEntry } | { kind: 'private'; sub: PrivateSub }

const SUFFIX = '}}'

function prefixFor(channel: string, label?: string): string {
  const labelPart = label === undefined ? '' : `"label":${JSON.stringify(label)},`
  return `{"jsonrpc":"2.0","method":"subscription","params":{"channel":${JSON.stringify(channel)},${labelPart}"data":`
}

/** The part of a public channel events are published under: the name without its interval. */
function baseOf(channel: string): string {
  return channelInterval(channel) === undefined ? channel : channel.slice(0, channel.lastIndexOf('.'))
}

/**
 * Who is subscribed to what, and the {@link EventSink} that fans exchange events out to them.
 *
 * Hot path: an event's data is serialised once; each channel's frame is the channel's
 * precomputed prefix + that JSON + `}}`, and the same string goes to every subscriber.
 * Aggregated intervals (`100ms`, `agg2`) are delivered immediately rather than batched; only
 * their shape differs (`user.orders` data becomes a one-element array).
 */
export class SubscriptionHub implements EventSink {
  readonly #public = new Map<string, PublicEntry>()
  readonly #publicByBase = new Map<string, Set<PublicEntry>>()
  /** How many `trades.{kind}.{currency}.*` entries exist, so `trades.{instrument}` skips that lookup when none. */
  #kindTradeEntries = 0
  /** Bumped when a public channel base gains its first or loses its last subscriber. */
  #publicVersion = 0
  readonly #privateByAccount = new Map<number, Set<PrivateSub>>()
  readonly #byConn = new Map<Subscriber, Map<string, ConnSub>>()

  constructor(
    private readonly instrument: (name: string) => InstrumentFacts | undefined,
    private readonly onSent: (count: number) => void,
  ) {}

  // ---- subscription management -------------------------------------------------------------

  /** Subscribes a public channel (already validated). True when it was not subscribed before. */
  subscribePublic(subscriber: Subscriber, channel: string): boolean {
    const mine = this.#connMap(subscriber)
    const existing = mine.get(channel)
    if (existing?.kind === 'public') return false
    if (existing !== undefined) this.unsubscribe(subscriber, channel)
    let entry = this.#public.get(channel)
    if (entry === undefined) {
      entry = { channel, prefix: prefixFor(channel), subscribers: new Set() }
      this.#public.set(channel, entry)
      const base = baseOf(channel)
      let set = this.#publicByBase.get(base)
      if (set === undefined) {
        set = new Set()
        this.#publicByBase.set(base, set)
      }
      set.add(entry)
      this.#publicVersion++
      if (isKindTrades(channel)) this.#kindTradeEntries++
    }
    entry.subscribers.add(subscriber)
    mine.set(channel, { kind: 'public', entry })
    return true
  }

  /** Subscribes a private channel for an identity (replacing one of another identity or label). */
  subscribePrivate(
    subscriber: Subscriber,
    channel: string,
    matcher: PrivateMatcher,
    identity: Identity,
    label: string | undefined,
  ): void {
    const mine = this.#connMap(subscriber)
    if (mine.has(channel)) this.unsubscribe(subscriber, channel)
    const sub: PrivateSub = { subscriber, channel, matcher, identity, prefix: prefixFor(channel, label) }
    let set = this.#privateByAccount.get(identity.accountId)
    if (set === undefined) {
      set = new Set()
      this.#privateByAccount.set(identity.accountId, set)
    }
    set.add(sub)
    mine.set(channel, { kind: 'private', sub })
  }

  /** Unsubscribes one channel; true when it was subscribed. */
  unsubscribe(subscriber: Subscriber, channel: string): boolean {
    const mine = this.#byConn.get(subscriber)
    const cs = mine?.get(channel)
    if (mine === undefined || cs === undefined) return false
    mine.delete(channel)
    if (cs.kind === 'public') {
      const entry = cs.entry
      entry.subscribers.delete(subscriber)
      if (entry.subscribers.size === 0) {
        this.#public.delete(channel)
        const base = baseOf(channel)
        const set = this.#publicByBase.get(base)
        set?.delete(entry)
        if (set?.size === 0) this.#publicByBase.delete(base)
        this.#publicVersion++
        if (isKindTrades(channel)) this.#kindTradeEntries--
      }
    } else {
      const set = this.#privateByAccount.get(cs.sub.identity.accountId)
      set?.delete(cs.sub)
      if (set?.size === 0) this.#privateByAccount.delete(cs.sub.identity.accountId)
    }
    if (mine.size === 0) this.#byConn.delete(subscriber)
    return true
  }

  /** Unsubscribes everything of a connection. */
  unsubscribeAll(subscriber: Subscriber): void {
    for (const channel of [...(this.#byConn.get(subscriber)?.keys() ?? [])]) this.unsubscribe(subscriber, channel)
  }

  /** Ends, silently, the private subscriptions that belong to another identity than `current`. */
  dropPrivateNotOf(subscriber: Subscriber, current: Identity | undefined): void {
    const mine = this.#byConn.get(subscriber)
    if (mine === undefined) return
    for (const [channel, cs] of [...mine]) {
      if (cs.kind === 'private' && cs.sub.identity.key !== current?.key) this.unsubscribe(subscriber, channel)
    }
  }

  /** The channels a connection is subscribed to. */
  channelsOf(subscriber: Subscriber): string[] {
    return [...(this.#byConn.get(subscriber)?.keys() ?? [])]
  }

  /** True when the connection holds this channel. */
  has(subscriber: Subscriber, channel: string): boolean {
    return this.#byConn.get(subscriber)?.has(channel) ?? false
  }

  #connMap(subscriber: Subscriber): Map<string, ConnSub> {
    let mine = this.#byConn.get(subscriber)
    if (mine === undefined) {
      mine = new Map()
      this.#byConn.set(subscriber, mine)
    }
    return mine
  }

  /** Sends one notification to one subscriber (the book snapshot that starts a channel). */
  sendTo(subscriber: Subscriber, channel: string, data: unknown): void {
    subscriber.deliver(prefixFor(channel) + JSON.stringify(data) + SUFFIX)
    this.onSent(1)
  }

  // ---- EventSink ---------------------------------------------------------------------------

  publish(channelBase: string, data: unknown): void {
    const direct = this.#publicByBase.get(channelBase)
    let json: string | undefined
    let sent = 0
    if (direct !== undefined) {
      json = JSON.stringify(data)
      sent += deliverAll(direct, json)
    }
    if (this.#kindTradeEntries > 0 && channelBase.startsWith('trades.')) {
      const facts = this.instrument(channelBase.slice('trades.'.length))
      if (facts !== undefined) {
        json ??= JSON.stringify(data)
        const kinds = [facts.kind, 'any']
        const currencies = new Set([facts.base_currency, facts.settlement_currency, 'any'])
        for (const k of kinds) {
          for (const c of currencies) {
            const set = this.#publicByBase.get(`trades.${k}.${c}`)
            if (set !== undefined) sent += deliverAll(set, json)
          }
        }
      }
    }
    if (sent > 0) this.onSent(sent)
  }

  wants(channelBase: string): boolean {
    return this.#publicByBase.has(channelBase)
  }

  publicVersion(): number {
    return this.#publicVersion
  }

  publishUser(accountId: number, family: UserEventFamily, instrumentName: string, data: unknown): void {
    const subs = this.#privateByAccount.get(accountId)
    if (subs === undefined) return
    const facts = this.instrument(instrumentName)
    let json: string | undefined
    let asArray: string | undefined
    let sent = 0
    for (const sub of subs) {
      if (!matchesUserEvent(sub.matcher, family, instrumentName, facts)) continue
      json ??= JSON.stringify(data)
      let payload = json
      // One order on raw, an array of orders on aggregated intervals.
      if (family === 'orders' && 'interval' in sub.matcher && sub.matcher.interval !== 'raw') {
        asArray ??= Array.isArray(data) ? json : `[${json}]`
        payload = asArray
      }
      sub.subscriber.deliver(sub.prefix + payload + SUFFIX)
      sent++
    }
    if (sent > 0) this.onSent(sent)
  }

  publishAccount(accountId: number, channel: string, data: unknown): void {
    const subs = this.#privateByAccount.get(accountId)
    if (subs === undefined) return
    let json: string | undefined
    let sent = 0
    for (const sub of subs) {
      const m = sub.matcher
      if (m.family !== 'account' || m.channel !== channel) continue
      json ??= JSON.stringify(data)
      sub.subscriber.deliver(sub.prefix + json + SUFFIX)
      sent++
    }
    if (sent > 0) this.onSent(sent)
  }

  publishPortfolio(accountId: number, currency: string, data: unknown): void {
    const subs = this.#privateByAccount.get(accountId)
    if (subs === undefined) return
    const lower = currency.toLowerCase()
    let json: string | undefined
    let sent = 0
    for (const sub of subs) {
      const m = sub.matcher
      if (m.family !== 'portfolio' || (m.currency !== lower && m.currency !== 'any')) continue
      json ??= JSON.stringify(data)
      sub.subscriber.deliver(sub.prefix + json + SUFFIX)
      sent++
    }
    if (sent > 0) this.onSent(sent)
  }
}

function isKindTrades(channel: string): boolean {
  return channel.startsWith('trades.') && channel.split('.').length === 4
}

function deliverAll(entries: Set<PublicEntry>, json: string): number {
  let n = 0
  for (const entry of entries) {
    const frame = entry.prefix + json + SUFFIX
    for (const s of entry.subscribers) {
      s.deliver(frame)
      n++
    }
  }
  return n
}
