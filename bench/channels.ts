/**
 * Distinct, valid channel names for the transition and memory measures, drawn from the
 * simulator's catalogue. The public catalogue holds 301 distinct names (five undated instruments), so a
 * set of N channels takes min(N/2, 301) public ones and fills the rest with private ones.
 */
import type { ChannelName } from '../src/protocol/channelNames.js'
import { UNDATED } from '../src/simulator/exchange/listing.js'

/** Five instruments every simulator lists whatever its clock (dated ones depend on the date). */
const INSTRUMENTS = UNDATED.slice(0, 5)

const INTERVALS = ['raw', '100ms', 'agg2'] as const
const KINDS = ['future', 'option', 'spot', 'future_combo', 'option_combo'] as const
const PRIVATE_KINDS = [...KINDS, 'combo', 'any'] as const
const CURRENCIES = ['BTC', 'ETH', 'USDC', 'USDT', 'EURR', 'any'] as const
/** Private channels accept any currency code; these are other currencies Deribit lists. */
const MORE_CURRENCIES = ['SOL', 'XRP', 'USYC', 'PAXG', 'BNB'] as const
const BTC_GROUPS = ['none', '1', '2', '5', '10'] as const
const ETH_GROUPS = ['none', '5', '10', '25', '100', '250'] as const
const DEPTHS = ['1', '10', '20'] as const

/** The public channel the transition measure bursts trades on, to count what an exchange or fork loses. */
export const PROBE_CHANNEL = 'trades.BTC-PERPETUAL.raw'

/**
 * Every public channel the simulator serves: {@link PROBE_CHANNEL} first, then book.*.raw (they
 * deliver a snapshot on subscribe), then the rest.
 */
export function publicChannels(): ChannelName[] {
  const out: ChannelName[] = [PROBE_CHANNEL]
  for (const i of INSTRUMENTS) out.push(`book.${i.instrument_name}.raw`)
  for (const i of INSTRUMENTS) {
    const name = i.instrument_name
    for (const iv of INTERVALS) out.push(`ticker.${name}.${iv}`, `trades.${name}.${iv}`)
    for (const iv of ['100ms', 'agg2'] as const) out.push(`book.${name}.${iv}`)
    for (const g of i.base_currency === 'ETH' ? ETH_GROUPS : BTC_GROUPS) {
      for (const d of DEPTHS) for (const iv of ['100ms', 'agg2'] as const) out.push(`book.${name}.${g}.${d}.${iv}`)
    }
  }
  for (const k of KINDS) for (const c of CURRENCIES) for (const iv of INTERVALS) out.push(`trades.${k}.${c}.${iv}`)
  for (const idx of ['btc_usd', 'eth_usd', 'btc_usdc', 'eth_usdc'] as const) out.push(`deribit_price_index.${idx}`)
  return [...new Set(out)]
}

/** Private (user.*) channels: orders/trades/changes by instrument and by kind and currency, portfolios. */
export function privateChannels(): ChannelName[] {
  const out: ChannelName[] = []
  const families = ['orders', 'trades', 'changes'] as const
  for (const i of INSTRUMENTS)
    for (const f of families) for (const iv of INTERVALS) out.push(`user.${f}.${i.instrument_name}.${iv}`)
  for (const c of [...CURRENCIES, ...MORE_CURRENCIES]) {
    out.push(`user.portfolio.${c.toLowerCase() as Lowercase<typeof c>}`)
    for (const k of PRIVATE_KINDS)
      for (const f of families) for (const iv of INTERVALS) out.push(`user.${f}.${k}.${c}.${iv}`)
  }
  return out
}

/** A set of `total` distinct channels, as close to half private as the catalogue allows. */
export interface ChannelSet {
  public: ChannelName[]
  private: ChannelName[]
  all: ChannelName[]
}

/** Builds a {@link ChannelSet} of `total` channels. Throws when the catalogue is too small. */
export function channelSet(total: number): ChannelSet {
  const pub = publicChannels()
  const priv = privateChannels()
  const nPublic = Math.min(Math.floor(total / 2), pub.length)
  const nPrivate = total - nPublic
  if (nPrivate > priv.length) throw new Error(`only ${priv.length} private channel names for ${total}`)
  const p = pub.slice(0, nPublic)
  const q = priv.slice(0, nPrivate)
  return { public: p, private: q, all: [...p, ...q] }
}

/** Splits channels into subscribe requests that stay under the 32 kB frame limit. */
export function chunkByBytes(channels: readonly string[], maxBytes = 30_000): string[][] {
  const out: string[][] = []
  let current: string[] = []
  let bytes = 0
  for (const c of channels) {
    if (bytes + c.length + 3 > maxBytes && current.length > 0) {
      out.push(current)
      current = []
      bytes = 0
    }
    current.push(c)
    bytes += c.length + 3
  }
  if (current.length > 0) out.push(current)
  return out
}
