/**
 * Market-wide state shared by the generator, the matching engine and the views: index prices,
 * mark prices derived from them, and per-instrument trade statistics (last price, tick
 * direction, trade sequence, 24h-style stats).
 */
import type { InstrumentSpec } from './instruments.js'
import { clean, round8, roundToStep } from './numbers.js'

/** Index names the simulator publishes on `deribit_price_index.*`. */
export const INDEX_NAMES = ['btc_usd', 'eth_usd', 'btc_usdc', 'eth_usdc'] as const

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

/** A future's basis over its index, so the dated future trades apart from the perpetual. */
const FUTURE_BASIS = 0.01
/** Time value of the simulated option, in BTC. */
const OPTION_TIME_VALUE = 0.02

export class Market {
  private readonly indices = new Map<string, number>()
  private readonly stats = new Map<string, TradeStats>()

  constructor(btcUsd: number, ethUsd: number) {
    this.setIndex('btc', btcUsd)
    this.setIndex('eth', ethUsd)
  }

  /** Sets `{coin}_usd` and `{coin}_usdc` (USDC is treated as at par). */
  setIndex(coin: 'btc' | 'eth', price: number): void {
    const p = Math.round(price * 100) / 100
    this.indices.set(`${coin}_usd`, p)
    this.indices.set(`${coin}_usdc`, p)
  }

  /** An index price by name, or undefined for an unknown index. */
  index(name: string): number | undefined {
    return this.indices.get(name)
  }

  /** The index an instrument follows. */
  indexOf(spec: InstrumentSpec): number {
    return this.indices.get(spec.price_index) ?? 0
  }

  /** The mark price: index (perpetuals), index plus basis (dated futures), a simple model (options). */
  mark(spec: InstrumentSpec): number {
    const index = this.indexOf(spec)
    if (spec.kind === 'option') {
      const strike = spec.strike ?? index
      const intrinsic = spec.option_type === 'put' ? Math.max(0, strike - index) : Math.max(0, index - strike)
      return round8(intrinsic / index + OPTION_TIME_VALUE)
    }
    if (spec.settlement_period !== 'perpetual') return clean(index * (1 + FUTURE_BASIS))
    return index
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
