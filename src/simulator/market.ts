import type { EventSink, ExchangeSide } from './contract.js'

/** Controls of the exchange's market generator (`sim.market`). */
export interface MarketControls {
  /** Stops generating market events; state is kept. */
  pause(): void
  resume(): void
  /** Market events per second. */
  setRate(eventsPerSec: number): void
  /** Emits `count` single-trade notifications on `instrument` as fast as possible (benchmarks). */
  burstTrades(instrument: string, count: number): void
  /** Makes the next book change of `instrument` skip a change_id (a gap). */
  skipChangeId(instrument: string): void
}

/** The exchange side plus its market controls, as `createExchange` returns it. */
export interface ExchangeWithMarket extends ExchangeSide {
  readonly market: MarketControls
}

/** What the server passes to the exchange factory. */
export interface ExchangeFactoryOptions {
  seed: number
  now: () => number
  marketRateHz?: number
}

/** Builds the exchange side, given the sink it reports events to. */
export type ExchangeFactory = (options: ExchangeFactoryOptions, sink: EventSink) => ExchangeWithMarket
