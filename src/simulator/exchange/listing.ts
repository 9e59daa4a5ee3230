/**
 * Which instruments the simulated exchange lists at a given time, as Deribit's calendar would:
 * BTC and ETH inverse perpetuals and weekly, monthly and quarterly futures; USDC-margined linear
 * perpetuals; BTC_USDC and ETH_USDC spot; BTC and ETH options on the weekly and monthly expiries
 * with strikes around the index at listing. As the clock passes an expiry the instrument moves to
 * the expired list and the next one of its series is listed.
 */
import { type Cadence, DAY_MS, expiriesAfter, expiriesBetween, expiryCode } from './calendar.js'
import { type InstrumentSpec, PERPETUAL_EXPIRY_MS } from './instruments.js'

/** The coins the simulator lists instruments on. */
export const COINS = ['BTC', 'ETH'] as const
/** One of {@link COINS}. */
export type Coin = (typeof COINS)[number]

/** How far back the expired list (and the market's history) reaches. */
export const HISTORY_DAYS = 35
/** When the always-listed instruments were created (Deribit's BTC-PERPETUAL listing). */
const PERPETUAL_LISTED_MS = 1534242287000

/** How many expiries of each dated series are listed at once. */
const FUTURE_SERIES: readonly [Cadence, number][] = [
  ['week', 2],
  ['month', 1],
  ['quarter', 2],
]
const OPTION_SERIES: readonly [Cadence, number][] = [
  ['week', 1],
  ['month', 1],
]
/** Strikes either side of the at-the-money strike. */
const STRIKES_EACH_SIDE = 2
const STRIKE_STEP: Record<Coin, number> = { BTC: 2000, ETH: 100 }

const INVERSE_PERPETUAL: Record<Coin, InstrumentSpec> = {
  BTC: {
    instrument_name: 'BTC-PERPETUAL',
    instrument_id: 124972,
    kind: 'future',
    base_currency: 'BTC',
    settlement_currency: 'BTC',
    quote_currency: 'USD',
    counter_currency: 'USD',
    instrument_type: 'reversed',
    settlement_period: 'perpetual',
    tick_size: 0.5,
    tick_size_steps: [],
    contract_size: 10,
    min_trade_amount: 10,
    maker_commission: 0,
    taker_commission: 0.0005,
    max_leverage: 50,
    price_index: 'btc_usd',
    expiration_timestamp: PERPETUAL_EXPIRY_MS,
    creation_timestamp: PERPETUAL_LISTED_MS,
  },
  ETH: {
    instrument_name: 'ETH-PERPETUAL',
    instrument_id: 124973,
    kind: 'future',
    base_currency: 'ETH',
    settlement_currency: 'ETH',
    quote_currency: 'USD',
    counter_currency: 'USD',
    instrument_type: 'reversed',
    settlement_period: 'perpetual',
    tick_size: 0.05,
    tick_size_steps: [],
    contract_size: 1,
    min_trade_amount: 1,
    maker_commission: 0,
    taker_commission: 0.0005,
    max_leverage: 50,
    price_index: 'eth_usd',
    expiration_timestamp: PERPETUAL_EXPIRY_MS,
    creation_timestamp: PERPETUAL_LISTED_MS,
  },
}

function linear(coin: Coin, id: number, kind: 'future' | 'spot'): InstrumentSpec {
  const btc = coin === 'BTC'
  const pair = `${coin}_USDC`
  return {
    ...INVERSE_PERPETUAL[coin],
    instrument_name: kind === 'spot' ? pair : `${pair}-PERPETUAL`,
    instrument_id: id,
    kind,
    settlement_currency: 'USDC',
    quote_currency: 'USDC',
    counter_currency: 'USDC',
    instrument_type: 'linear',
    tick_size: btc ? 1 : 0.1,
    // Amounts are in coin, one coin a contract (the spec types contract_size integer).
    contract_size: 1,
    min_trade_amount: btc ? 0.001 : 0.01,
    taker_commission: kind === 'spot' ? 0 : 0.0005,
    max_leverage: kind === 'spot' ? undefined : 50,
    price_index: `${coin.toLowerCase()}_usdc`,
  }
}

/** Instruments that never expire, in listing order. */
export const UNDATED: readonly InstrumentSpec[] = [
  INVERSE_PERPETUAL.BTC,
  INVERSE_PERPETUAL.ETH,
  linear('BTC', 210760, 'future'),
  linear('ETH', 210761, 'future'),
  linear('BTC', 210762, 'spot'),
  linear('ETH', 210763, 'spot'),
]

/** The settlement period Deribit reports for an expiry: `week` unless it is a month's last Friday. */
function periodOf(expiry: number): 'week' | 'month' {
  return new Date(expiry + 7 * DAY_MS).getUTCMonth() !== new Date(expiry).getUTCMonth() ? 'month' : 'week'
}

/** A stable instrument id from the name, so a series' ids do not depend on listing order. */
function idOf(name: string): number {
  let h = 2166136261
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619)
  return 300_000 + ((h >>> 0) % 700_000)
}

function future(coin: Coin, expiry: number, listed: number): InstrumentSpec {
  const name = `${coin}-${expiryCode(expiry)}`
  return {
    ...INVERSE_PERPETUAL[coin],
    instrument_name: name,
    instrument_id: idOf(name),
    settlement_period: periodOf(expiry),
    tick_size: coin === 'BTC' ? 2.5 : 0.25,
    expiration_timestamp: expiry,
    creation_timestamp: listed,
  }
}

/** The call and the put of one strike. */
function strikePair(coin: Coin, expiry: number, listed: number, strike: number): InstrumentSpec[] {
  return (['call', 'put'] as const).map((type) => {
    const name = `${coin}-${expiryCode(expiry)}-${strike}-${type === 'call' ? 'C' : 'P'}`
    return {
      instrument_name: name,
      instrument_id: idOf(name),
      kind: 'option',
      base_currency: coin,
      settlement_currency: coin,
      quote_currency: coin,
      counter_currency: 'USD',
      instrument_type: 'reversed',
      settlement_period: periodOf(expiry),
      tick_size: 0.0001,
      tick_size_steps: [{ above_price: 0.005, tick_size: 0.0005 }],
      contract_size: 1,
      min_trade_amount: coin === 'BTC' ? 0.1 : 1,
      maker_commission: 0.0003,
      taker_commission: 0.0003,
      max_leverage: undefined,
      price_index: `${coin.toLowerCase()}_usd`,
      expiration_timestamp: expiry,
      creation_timestamp: listed,
      option_type: type,
      strike,
    }
  })
}

function options(coin: Coin, expiry: number, listed: number, index: number): InstrumentSpec[] {
  const step = STRIKE_STEP[coin]
  const atm = Math.max(step * (STRIKES_EACH_SIDE + 1), Math.round(index / step) * step)
  const out: InstrumentSpec[] = []
  for (let k = -STRIKES_EACH_SIDE; k <= STRIKES_EACH_SIDE; k++)
    out.push(...strikePair(coin, expiry, listed, atm + k * step))
  return out
}

/** Expiries of a series that are listed at `t`: its next `count`. */
function seriesAt(series: readonly [Cadence, number][], t: number): Set<number> {
  const out = new Set<number>()
  for (const [cadence, count] of series) for (const e of expiriesAfter(cadence, t, count)) out.add(e)
  return out
}

/**
 * When a calendar listing `count` expiries of each series ahead first listed `expiry`: at the
 * expiry `count` before it in a series it belongs to (the earliest over the series).
 */
function listedSince(series: readonly [Cadence, number][], expiry: number, fallback: number): number {
  let since = fallback
  for (const [cadence, count] of series) {
    const before = expiriesBetween(cadence, expiry - 400 * DAY_MS, expiry)
    if (before.at(-1) !== expiry) continue
    const at = before[before.length - 1 - count]
    if (at !== undefined) since = Math.min(since, at)
  }
  return since
}

/** What changed in the listing when the clock moved. */
export interface Roll {
  readonly expired: readonly InstrumentSpec[]
  readonly listed: readonly InstrumentSpec[]
}

/**
 * The exchange's instruments over time. `active` is one array, mutated in place, so every
 * holder (engine, generator, handlers) sees listings and expiries at once.
 */
export class Listing {
  readonly active: InstrumentSpec[] = []
  readonly byName = new Map<string, InstrumentSpec>()
  /** Expired instruments by name, oldest expiry first. */
  readonly expired = new Map<string, InstrumentSpec>()
  private nextExpiry = Number.POSITIVE_INFINITY
  /** Per coin, the lowest ladder top and highest ladder bottom over its option expiries. */
  private readonly edges = new Map<Coin, { low: number; high: number }>()

  /** Lists what is live at `start`; expired instruments reach {@link HISTORY_DAYS} back. */
  constructor(
    start: number,
    private readonly indexAt: (coin: Coin, t: number) => number,
  ) {
    for (const spec of UNDATED) this.add(spec)
    const from = start - HISTORY_DAYS * DAY_MS
    for (const coin of COINS) {
      const past = new Set<number>()
      for (const [cadence] of FUTURE_SERIES) for (const e of expiriesBetween(cadence, from, start)) past.add(e)
      for (const e of [...past].sort((a, b) => a - b))
        this.expired.set(`${coin}-${expiryCode(e)}`, future(coin, e, e - 90 * DAY_MS))
    }
    // What is live at the start was listed earlier, when its series first reached it (its
    // history, candles and settlements go back to then), but not before the history does.
    for (const spec of this.listDated(start, start)) {
      const series = spec.kind === 'option' ? OPTION_SERIES : FUTURE_SERIES
      spec.creation_timestamp = Math.max(from, listedSince(series, spec.expiration_timestamp, start))
    }
  }

  /** Moves expired instruments out and lists their successors; cheap when nothing is due. */
  roll(now: number): Roll {
    if (now < this.nextExpiry) return { expired: [], listed: [] }
    const expired = this.active.filter((s) => s.expiration_timestamp <= now)
    for (const spec of expired) {
      this.active.splice(this.active.indexOf(spec), 1)
      this.byName.delete(spec.instrument_name)
      this.expired.set(spec.instrument_name, spec)
    }
    const listed = this.listDated(now, now)
    this.edges.clear()
    return { expired, listed }
  }

  /**
   * Lists a strike further out on each side of every live option expiry of `coin` (a side only
   * when its new strike stays above zero), as an exchange does when the price runs toward the
   * edge of its strike ladder. Returns the new calls and puts.
   */
  widenStrikes(coin: Coin, listedAt: number, sides: { up: boolean; down: boolean } = { up: true, down: true }) {
    const step = STRIKE_STEP[coin]
    const listed: InstrumentSpec[] = []
    for (const [expiry, { low, high }] of this.ladders(coin)) {
      const strikes = [...(sides.up ? [high + step] : []), ...(sides.down && low - step > 0 ? [low - step] : [])]
      for (const strike of strikes)
        for (const spec of strikePair(coin, expiry, listedAt, strike)) listed.push(this.add(spec))
    }
    this.edges.delete(coin)
    return listed
  }

  /**
   * Lists new strikes where the index `index` of `coin` has come within one strike of the edge of
   * an expiry's ladder (cheap when it has not: the tightest edges are kept between listings).
   */
  followIndex(coin: Coin, index: number, listedAt: number): InstrumentSpec[] {
    const step = STRIKE_STEP[coin]
    let edge = this.edges.get(coin)
    if (edge === undefined) {
      const ladders = [...this.ladders(coin).values()]
      edge = {
        high: Math.min(...ladders.map((l) => l.high)),
        low: Math.max(...ladders.map((l) => l.low)),
      }
      this.edges.set(coin, edge)
    }
    const up = index > edge.high - step
    const down = index < edge.low + step && edge.low - step > 0
    return up || down ? this.widenStrikes(coin, listedAt, { up, down }) : []
  }

  /** The lowest and highest strike of each live option expiry of `coin`. */
  private ladders(coin: Coin): Map<number, { low: number; high: number }> {
    const out = new Map<number, { low: number; high: number }>()
    for (const s of this.active) {
      if (s.kind !== 'option' || s.base_currency !== coin || s.strike === undefined) continue
      const l = out.get(s.expiration_timestamp)
      if (l === undefined) out.set(s.expiration_timestamp, { low: s.strike, high: s.strike })
      else {
        l.low = Math.min(l.low, s.strike)
        l.high = Math.max(l.high, s.strike)
      }
    }
    return out
  }

  /** Lists any dated instrument of the series at `t` that is not listed yet. */
  private listDated(t: number, listedAt: number): InstrumentSpec[] {
    const listed: InstrumentSpec[] = []
    for (const coin of COINS) {
      for (const e of [...seriesAt(FUTURE_SERIES, t)].sort((a, b) => a - b)) {
        const spec = future(coin, e, listedAt)
        if (!this.byName.has(spec.instrument_name)) listed.push(this.add(spec))
      }
      for (const e of [...seriesAt(OPTION_SERIES, t)].sort((a, b) => a - b)) {
        if (this.active.some((s) => s.kind === 'option' && s.base_currency === coin && s.expiration_timestamp === e))
          continue
        for (const spec of options(coin, e, listedAt, this.indexAt(coin, t))) listed.push(this.add(spec))
      }
    }
    this.nextExpiry = Math.min(...this.active.map((s) => s.expiration_timestamp))
    return listed
  }

  private add(spec: InstrumentSpec): InstrumentSpec {
    this.active.push(spec)
    this.byName.set(spec.instrument_name, spec)
    return spec
  }
}
