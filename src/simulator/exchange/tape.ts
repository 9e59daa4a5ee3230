/**
 * The public trade tape: every `trades.{instrument}` event the exchange publishes passes through
 * here on its way to the subscribers, and is kept (the newest {@link TRADES_KEPT} per
 * instrument) for `get_last_trades_by_*`, folded into one-minute candles for
 * `get_tradingview_chart_data` and `chart.trades.*`, and into open interest.
 */
import type { EventSink, UserEventFamily } from '../contract.js'
import type { InstrumentSpec } from './instruments.js'
import type { Market } from './market.js'
import { round8 } from './numbers.js'

/** Public trades kept per instrument. */
export const TRADES_KEPT = 10_000
/** One-minute candles kept per instrument. */
const CANDLES_KEPT = 50_000
const MINUTE_MS = 60_000

/** A public trade as published on `trades.*`. */
export interface TapeTrade {
  trade_id: string
  trade_seq: number
  timestamp: number
  price: number
  amount: number
  direction: string
  instrument_name: string
  [key: string]: unknown
}

/** One candle: open, high, low, close, volume in the amount's unit and cost in USD-ish quote. */
export interface Candle {
  tick: number
  open: number
  high: number
  low: number
  close: number
  volume: number
  cost: number
}

interface InstrumentTape {
  readonly spec: InstrumentSpec | undefined
  /** Inverse futures count volume in coin (amount / price) and cost in USD (the amount). */
  readonly inverse: boolean
  trades: TapeTrade[]
  candles: Candle[]
}

/** Called after a trade is folded into a minute candle: the chart feed publishes from it. */
export type CandleListener = (instrumentName: string, minute: Candle, trade: TapeTrade) => void

/** An {@link EventSink} in front of the hub that records public trades as they pass. */
export class Tape implements EventSink {
  private readonly tapes = new Map<string, InstrumentTape>()
  private lastName: string | undefined
  private lastTape: InstrumentTape | undefined
  onCandle: CandleListener | undefined

  constructor(
    private readonly downstream: EventSink,
    private readonly spec: (name: string) => InstrumentSpec | undefined,
    private readonly market: Market,
  ) {}

  publish(channelBase: string, data: unknown): void {
    if (channelBase.startsWith('trades.') && Array.isArray(data)) {
      const name = channelBase.slice('trades.'.length)
      for (const trade of data as TapeTrade[]) this.record(name, trade)
    }
    this.downstream.publish(channelBase, data)
  }

  publishUser(accountId: number, family: UserEventFamily, instrumentName: string, data: unknown): void {
    this.downstream.publishUser(accountId, family, instrumentName, data)
  }

  publishPortfolio(accountId: number, currency: string, data: unknown): void {
    this.downstream.publishPortfolio(accountId, currency, data)
  }

  publishAccount(accountId: number, channel: string, data: unknown): void {
    this.downstream.publishAccount(accountId, channel, data)
  }

  wants(channelBase: string): boolean {
    return this.downstream.wants?.(channelBase) ?? false
  }

  publicVersion(): number {
    return this.downstream.publicVersion?.() ?? 0
  }

  private tapeOf(name: string): InstrumentTape {
    // Bursts and most steps trade one instrument at a time: skip the map for a repeat.
    if (name === this.lastName && this.lastTape !== undefined) return this.lastTape
    let tape = this.tapes.get(name)
    if (tape === undefined) {
      const spec = this.spec(name)
      const inverse = spec?.kind === 'future' && spec.instrument_type === 'reversed'
      tape = { spec, inverse, trades: [], candles: [] }
      this.tapes.set(name, tape)
    }
    this.lastName = name
    this.lastTape = tape
    return tape
  }

  private record(name: string, trade: TapeTrade): void {
    const tape = this.tapeOf(name)
    tape.trades.push(trade)
    if (tape.trades.length >= TRADES_KEPT * 2) tape.trades.splice(0, tape.trades.length - TRADES_KEPT)
    const minute = Math.floor(trade.timestamp / MINUTE_MS) * MINUTE_MS
    let candle = tape.candles[tape.candles.length - 1]
    if (candle === undefined || candle.tick < minute) {
      candle = {
        tick: minute,
        open: trade.price,
        high: trade.price,
        low: trade.price,
        close: trade.price,
        volume: 0,
        cost: 0,
      }
      tape.candles.push(candle)
      if (tape.candles.length >= CANDLES_KEPT * 2) tape.candles.splice(0, tape.candles.length - CANDLES_KEPT)
    }
    candle.high = Math.max(candle.high, trade.price)
    candle.low = Math.min(candle.low, trade.price)
    candle.close = trade.price
    const { spec, inverse } = tape
    // Deribit's chart volume is in the base coin; cost is in the amount's unit (USD for inverse futures).
    candle.volume = round8(candle.volume + (inverse ? trade.amount / trade.price : trade.amount))
    candle.cost = round8(candle.cost + (inverse ? trade.amount : trade.amount * trade.price))
    if (spec !== undefined) this.moveOpenInterest(spec, trade)
    this.onCandle?.(name, candle, trade)
  }

  /**
   * Open interest follows the flow: a trade opens new contracts unless it is one of the third
   * that closes existing ones (chosen by its sequence number, so replays agree).
   */
  private moveOpenInterest(spec: InstrumentSpec, trade: TapeTrade): void {
    if (spec.kind === 'spot') return
    const stats = this.market.statsOf(spec.instrument_name)
    const closes = trade.trade_seq % 3 === 0
    stats.openInterest = round8(Math.max(0, stats.openInterest + (closes ? -trade.amount : trade.amount)))
  }

  /** The instrument's kept trades, oldest first. */
  trades(name: string): readonly TapeTrade[] {
    return this.tapes.get(name)?.trades ?? []
  }

  /** The instrument's one-minute candles with trades, oldest first. */
  candles(name: string): readonly Candle[] {
    return this.tapes.get(name)?.candles ?? []
  }
}
