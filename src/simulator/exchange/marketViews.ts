/**
 * Read-only market views built from a book and the market state: the `ticker` object
 * (`public/ticker` and `ticker.*`), the `public/get_order_book` result and book summaries.
 */
import { type InstrumentSpec, tickAt } from './instruments.js'
import { coinOf, type Market, optionOf, optionVol } from './market.js'
import { round8 } from './numbers.js'
import type { OrderBook } from './orderBook.js'

function statsWire(market: Market, spec: InstrumentSpec): Record<string, unknown> {
  const s = market.statsOf(spec.instrument_name)
  const change =
    s.openPrice !== undefined && s.lastPrice !== undefined
      ? Math.round(((s.lastPrice - s.openPrice) / s.openPrice) * 1e6) / 1e4
      : 0
  const mark = market.mark(spec)
  return { high: s.high ?? mark, low: s.low ?? mark, price_change: change, volume: s.volume, volume_usd: s.volumeUsd }
}

/** Fields common to the ticker and the order book result. */
function quoteFields(
  market: Market,
  spec: InstrumentSpec,
  book: OrderBook,
  timestamp: number,
): Record<string, unknown> {
  const bid = book.best('buy')
  const ask = book.best('sell')
  const mark = market.mark(spec)
  const index = market.indexOf(spec)
  const band = market.band(spec, tickAt(spec, mark))
  const s = market.statsOf(spec.instrument_name)
  const fields: Record<string, unknown> = {
    timestamp,
    state: 'open',
    instrument_name: spec.instrument_name,
    best_bid_price: bid?.price ?? null,
    best_bid_amount: bid?.total ?? 0,
    best_ask_price: ask?.price ?? null,
    best_ask_amount: ask?.total ?? 0,
    last_price: s.lastPrice ?? mark,
    mark_price: mark,
    index_price: index,
    settlement_price: market.settlementPrice(spec),
    estimated_delivery_price: index,
    min_price: band.min,
    max_price: band.max,
    open_interest: s.openInterest,
    stats: statsWire(market, spec),
  }
  if (spec.settlement_period === 'perpetual' && spec.kind === 'future') {
    const rate = round8(market.funding8h(spec))
    fields.current_funding = rate
    fields.funding_8h = rate
    fields.interest_value = round8(market.coin(coinOf(spec)).interest)
  }
  if (spec.kind === 'option') Object.assign(fields, optionFields(market, spec, timestamp, bid?.price, ask?.price))
  return fields
}

/** The ticker's option fields: implied volatilities (in %), greeks, the underlying. */
function optionFields(
  market: Market,
  spec: InstrumentSpec,
  now: number,
  bid: number | undefined,
  ask: number | undefined,
): Record<string, unknown> {
  const state = market.coin(coinOf(spec))
  const value = optionOf(spec, state, now)
  const iv = round8(optionVol(spec, state, now) * 100)
  // A quote away from the mark implies a volatility away from it, by the option's vega in coin.
  const vegaCoin = value.vega / state.index
  const implied = (price: number | undefined): number =>
    price === undefined || vegaCoin <= 0 ? 0 : Math.max(0, round8(iv + (price - value.price) / vegaCoin))
  return {
    underlying_price: market.indexOf(spec),
    underlying_index: 'index_price',
    interest_rate: 0,
    mark_iv: iv,
    bid_iv: implied(bid),
    ask_iv: implied(ask),
    greeks: {
      delta: round8(value.delta),
      gamma: round8(value.gamma),
      vega: round8(value.vega),
      theta: round8(value.theta),
      rho: round8(value.rho),
    },
  }
}

/** The ticker object. */
export function tickerWire(
  market: Market,
  spec: InstrumentSpec,
  book: OrderBook,
  timestamp: number,
): Record<string, unknown> {
  return quoteFields(market, spec, book, timestamp)
}

/** The `public/get_order_book` result with up to `depth` levels a side. */
export function orderBookWire(
  market: Market,
  spec: InstrumentSpec,
  book: OrderBook,
  depth: number,
  timestamp: number,
): Record<string, unknown> {
  return {
    ...quoteFields(market, spec, book, timestamp),
    change_id: book.changeId,
    bids: book.top('buy', depth),
    asks: book.top('sell', depth),
  }
}

/** One element of `public/get_book_summary_by_currency`. */
export function bookSummaryWire(
  market: Market,
  spec: InstrumentSpec,
  book: OrderBook,
  timestamp: number,
): Record<string, unknown> {
  const bid = book.best('buy')?.price ?? null
  const ask = book.best('sell')?.price ?? null
  const s = market.statsOf(spec.instrument_name)
  const summary: Record<string, unknown> = {
    instrument_name: spec.instrument_name,
    base_currency: spec.base_currency,
    quote_currency: spec.quote_currency,
    bid_price: bid,
    ask_price: ask,
    mid_price: bid !== null && ask !== null ? (bid + ask) / 2 : null,
    mark_price: market.mark(spec),
    last: s.lastPrice ?? market.mark(spec),
    high: s.high ?? market.mark(spec),
    low: s.low ?? market.mark(spec),
    price_change: statsWire(market, spec).price_change,
    volume: s.volume,
    volume_usd: s.volumeUsd,
    open_interest: s.openInterest,
    estimated_delivery_price: market.indexOf(spec),
    creation_timestamp: timestamp,
  }
  if (spec.settlement_period === 'perpetual' && spec.kind === 'future') {
    const rate = round8(market.funding8h(spec))
    summary.current_funding = rate
    summary.funding_8h = rate
  }
  if (spec.kind === 'option') {
    summary.underlying_price = market.indexOf(spec)
    summary.underlying_index = 'index_price'
    summary.interest_rate = 0
    summary.mark_iv = round8(optionVol(spec, market.coin(coinOf(spec)), timestamp) * 100)
  }
  return summary
}
