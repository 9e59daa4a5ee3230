import { channelInterval, type Interval } from '../protocol/channels.js'
import type { InstrumentFacts, UserEventFamily } from './contract.js'

/** What a `user.*` channel listens to, parsed once at subscribe time. */
export type PrivateMatcher =
  | { family: UserEventFamily; interval: Interval; instrument: string }
  | { family: UserEventFamily; interval: Interval; kind: string; currency: string }
  | { family: 'portfolio'; currency: string }
  | { family: 'account'; channel: string }

const KINDS = new Set(['future', 'option', 'spot', 'future_combo', 'option_combo', 'combo', 'any'])
const CURRENCY = /^([A-Z]{2,6}|any)$/
const FAMILIES = new Set<string>(['orders', 'trades', 'changes'])
const INDEX_NAME = /^[a-z0-9]+_[a-z0-9]+$/

/**
 * Parses `user.{orders|trades|changes}.{instrument}.{interval}`,
 * `user.{orders|trades|changes}.{kind}.{currency}.{interval}` and `user.portfolio.{currency}`;
 * undefined for anything else (the channel is then left out of the subscribe result).
 */
export function parsePrivateChannel(
  channel: string,
  instrument: (name: string) => InstrumentFacts | undefined,
): PrivateMatcher | undefined {
  const parts = channel.split('.')
  if (parts[0] !== 'user') return undefined
  if (channel === 'user.access_log' || channel === 'user.lock') return { family: 'account', channel }
  if (parts[1] === 'mmp_trigger' && parts.length === 3 && INDEX_NAME.test(parts[2] as string))
    return { family: 'account', channel }
  if (parts[1] === 'portfolio' && parts.length === 3) {
    const currency = parts[2]!
    return CURRENCY.test(currency.toUpperCase()) || currency === 'any'
      ? { family: 'portfolio', currency: currency.toLowerCase() }
      : undefined
  }
  const family = parts[1]
  const interval = channelInterval(channel)
  if (family === undefined || !FAMILIES.has(family) || interval === undefined) return undefined
  const f = family as UserEventFamily
  if (parts.length === 4) {
    const name = parts[2]!
    return instrument(name) === undefined ? undefined : { family: f, interval, instrument: name }
  }
  if (parts.length === 5) {
    const kind = parts[2]!
    const currency = parts[3]!
    return KINDS.has(kind) && CURRENCY.test(currency) ? { family: f, interval, kind, currency } : undefined
  }
  return undefined
}

/** True when an event of `family` about the instrument with `facts` belongs on the matcher's channel. */
export function matchesUserEvent(
  m: PrivateMatcher,
  family: UserEventFamily,
  name: string,
  facts: InstrumentFacts | undefined,
): boolean {
  if (m.family !== family) return false
  if ('instrument' in m) return m.instrument === name
  if (!('kind' in m) || facts === undefined) return false
  const kindOk = m.kind === 'any' || m.kind === facts.kind || (m.kind === 'combo' && facts.kind.endsWith('_combo'))
  const currencyOk =
    m.currency === 'any' || m.currency === facts.base_currency || m.currency === facts.settlement_currency
  return kindOk && currencyOk
}
