/**
 * Read-only market views built from a book and the market state: the `ticker` object
 * (`public/ticker` and `ticker.*`), the `public/get_order_book` result and book summaries.
 */
import { type InstrumentSpec, tickAt } from './instruments.js'
import type { Market } from './market.js'
import type { OrderBook } from './orderBook.js'

function statsWire(market: Market, spec: InstrumentSpec): Record<string, unknown> {
  const s = market.statsOf(spec.instrument_name)
  const change =
    s.openPrice !== undefined && s.lastPrice !== undefined
      ? Math.round(((s.lastPrice - s.openPrice) / s.openPrice) * 1e6) / 1e4
      : 0
  return { high: s.high ?? null, low: s.low ?? null, price_change: change, volume: s.volume, volume_usd: s.volumeUsd }
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
    last_price: s.lastPrice ?? null,
    mark_price: mark,
    index_price: index,
    settlement_price: mark,
    estimated_delivery_price: index,
    min_price: band.min,
    max_price: band.max,
    open_interest: s.openInterest,
    stats: statsWire(market, spec),
  }
  if (spec.settlement_period === 'perpetual') {
    fields.current_funding = 0
    fields.funding_8h = 0
    fields.interest_value = 0
  }
  if (spec.kind === 'option') {
    const iv = 60
    fields.underlying_price = index
    fields.underlying_index = spec.price_index === 'btc_usd' ? 'BTC-27DEC26' : 'index_price'
    fields.interest_rate = 0
    fields.mark_iv = iv
    fields.bid_iv = bid === undefined ? 0 : iv - 1
    fields.ask_iv = ask === undefined ? 0 : iv + 1
    fields.greeks = { delta: 0.5, gamma: 0.00001, vega: 100, theta: -10, rho: 50 }
  }
  return fields
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
    last: s.lastPrice ?? null,
    high: s.high ?? null,
    low: s.low ?? null,
    price_change: statsWire(market, spec).price_change,
    volume: s.volume,
    volume_usd: s.volumeUsd,
    open_interest: s.openInterest,
    estimated_delivery_price: market.indexOf(spec),
    creation_timestamp: timestamp,
  }
  if (spec.settlement_period === 'perpetual') {
    summary.current_funding = 0
    summary.funding_8h = 0
  }
  if (spec.kind === 'option') {
    summary.underlying_price = market.indexOf(spec)
    summary.underlying_index = 'index_price'
    summary.interest_rate = 0
  }
  return summary
}
