/**
 * Market-wide state shared by the generator, the matching engine and the views: index prices,
 * volatility indices, perpetual premiums and funding, mark prices derived from them (Black-76
 * for options, a term basis for dated futures), and per-instrument trade statistics (last
 * price, tick direction, trade sequence, 24h-style stats).
 */
import type { InstrumentSpec } from './instruments.js'
import type { Coin } from './listing.js'
import { clean, round8, roundToStep } from './numbers.js'
import { forwardPrice, funding8h, type OptionValue, optionValue, smileVol, YEAR_MS } from './pricing.js'

/** Index names the simulator publishes on `deribit_price_index.*`. */
export const INDEX_NAMES = ['btc_usd', 'eth_usd', 'btc_usdc', 'eth_usdc'] as const

/** The market-wide state one coin's marks derive from. */
export interface CoinState {
  /** `{coin}_usd` index. */
  index: number
  /** At-the-money implied volatility, a fraction (0.55 = DVOL 55). */
  vol: number
  /** Relative premium of the coin's perpetuals over the index. */
  premium: number
  /** Cumulative funding of the coin's perpetuals (Deribit's `interest_value`). */
  interest: number
}

/** The coin an instrument's marks follow. */
export function coinOf(spec: InstrumentSpec): Coin {
  return spec.base_currency === 'ETH' ? 'ETH' : 'BTC'
}

/** An instrument's mark given its coin's state at `now`. */
export function markFrom(spec: InstrumentSpec, state: CoinState, now: number): number {
  const index = state.index
  if (spec.kind === 'spot') return index
  if (spec.kind === 'option') return round8(optionOf(spec, state, now).price)
  if (spec.settlement_period === 'perpetual') return clean(roundToStep(index * (1 + state.premium), 0.01))
  return clean(roundToStep(forwardPrice(index, yearsTo(spec, now)), 0.01))
}

function yearsTo(spec: InstrumentSpec, now: number): number {
  return Math.max(0, (spec.expiration_timestamp - now) / YEAR_MS)
}

/** The option's implied volatility (fraction) at `now`. */
export function optionVol(spec: InstrumentSpec, state: CoinState, now: number): number {
  const forward = forwardPrice(state.index, yearsTo(spec, now))
  return smileVol(state.vol, forward, spec.strike ?? forward)
}

/** An option's Black-76 value and greeks at `now`. */
export function optionOf(spec: InstrumentSpec, state: CoinState, now: number): OptionValue {
  return optionValue(
    spec.option_type ?? 'call',
    state.index,
    spec.strike ?? state.index,
    yearsTo(spec, now),
    optionVol(spec, state, now),
  )
}

/** Per-instrument trading statistics. */
export interface TradeStats {
  lastPrice: number | undefined
  /** Deribit's tick direction of the last trade: 0 plus, 1 zero-plus, 2 minus, 3 zero-minus. */
  tickDirection: number
  tradeSeq: number
  openPrice: number | undefined
  high: number | undefined
  low: number | undefined
  volume: number
  volumeUsd: number
  openInterest: number
}

export class Market {
  private readonly indices = new Map<string, number>()
  private readonly stats = new Map<string, TradeStats>()
  private readonly settlementMarks = new Map<string, number>()
  private readonly coins: Record<Coin, CoinState>

  constructor(
    btcUsd: number,
    ethUsd: number,
    private readonly now: () => number = Date.now,
  ) {
    this.coins = {
      BTC: { index: 0, vol: 0.55, premium: 0.0008, interest: 0.05 },
      ETH: { index: 0, vol: 0.7, premium: 0.0009, interest: 0.06 },
    }
    this.setIndex('btc', btcUsd)
    this.setIndex('eth', ethUsd)
  }

  /** Sets `{coin}_usd` and `{coin}_usdc` (USDC is treated as at par). */
  setIndex(coin: 'btc' | 'eth', price: number): void {
    const p = Math.round(price * 100) / 100
    this.indices.set(`${coin}_usd`, p)
    this.indices.set(`${coin}_usdc`, p)
    this.coins[coin === 'btc' ? 'BTC' : 'ETH'].index = p
  }

  /** The live state of a coin (index, volatility, premium, cumulative funding); mutable by the history. */
  coin(coin: Coin): CoinState {
    return this.coins[coin]
  }

  /** An index price by name, or undefined for an unknown index. */
  index(name: string): number | undefined {
    return this.indices.get(name)
  }

  /** The index an instrument follows. */
  indexOf(spec: InstrumentSpec): number {
    return this.indices.get(spec.price_index) ?? 0
  }

  /** The mark price: index (spot), index plus premium (perpetuals), plus term basis (dated futures), Black-76 (options). */
  mark(spec: InstrumentSpec): number {
    return markFrom(spec, this.coins[coinOf(spec)], this.now())
  }

  /** The perpetual's 8-hour funding rate now. */
  funding8h(spec: InstrumentSpec): number {
    return funding8h(this.coins[coinOf(spec)].premium)
  }

  /** The mark at the instrument's last 08:00 settlement (the ticker's `settlement_price`). */
  settlementPrice(spec: InstrumentSpec): number {
    return this.settlementMarks.get(spec.instrument_name) ?? this.mark(spec)
  }

  /** Records the marks of a daily settlement. */
  setSettlementPrice(spec: InstrumentSpec, mark: number): void {
    this.settlementMarks.set(spec.instrument_name, mark)
  }

  /** Statistics of an instrument (created on first use). */
  statsOf(name: string): TradeStats {
    let s = this.stats.get(name)
    if (s === undefined) {
      s = {
        lastPrice: undefined,
        tickDirection: 0,
        tradeSeq: 0,
        openPrice: undefined,
        high: undefined,
        low: undefined,
        volume: 0,
        volumeUsd: 0,
        openInterest: 0,
      }
      this.stats.set(name, s)
    }
    return s
  }

  /**
   * Starts an instrument's statistics at `price` (its mark at listing), so the ticker's last,
   * high and low are numbers before the first trade, as the spec types them; an instrument
   * listed before the simulator started starts with `openInterest` already open.
   */
  seedStats(spec: InstrumentSpec, price: number, openInterest = 0): void {
    const s = this.statsOf(spec.instrument_name)
    s.lastPrice ??= price
    s.openPrice ??= price
    s.high ??= price
    s.low ??= price
    if (s.openInterest === 0) s.openInterest = openInterest
  }

  /** Records a trade; returns its `trade_seq` and sets the tick direction. */
  recordTrade(spec: InstrumentSpec, price: number, amount: number): number {
    const s = this.statsOf(spec.instrument_name)
    const last = s.lastPrice
    if (last === undefined || price > last) s.tickDirection = 0
    else if (price < last) s.tickDirection = 2
    else s.tickDirection = s.tickDirection === 0 || s.tickDirection === 1 ? 1 : 3
    s.lastPrice = price
    s.openPrice ??= price
    s.high = s.high === undefined ? price : Math.max(s.high, price)
    s.low = s.low === undefined ? price : Math.min(s.low, price)
    const coins = spec.instrument_type === 'reversed' && spec.kind === 'future' ? amount / price : amount
    s.volume = round8(s.volume + coins)
    s.volumeUsd = Math.round(s.volumeUsd + coins * this.indexOf(spec))
    return ++s.tradeSeq
  }

  /** Deribit's `min_price`/`max_price` band around the mark, on the tick. */
  band(spec: InstrumentSpec, tick: number): { min: number; max: number } {
    const mark = this.mark(spec)
    // Options are quoted in coin and move in large relative steps: a wider band.
    const width = spec.kind === 'option' ? 0.5 : 0.025
    return { min: Math.max(tick, roundToStep(mark * (1 - width), tick)), max: roundToStep(mark * (1 + width), tick) }
  }
}
