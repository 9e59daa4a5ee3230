/**
 * Market-data methods: `public/ticker`, `public/get_order_book`, `public/get_order_book_by_instrument_id`,
 * `public/get_book_summary_by_currency`, `public/get_book_summary_by_instrument`.
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams, SimRpcError } from '../../contract.js'
import { currencyParam, type ExchangeCore, inCurrency, instrumentParam } from '../exchangeCore.js'
import { type InstrumentSpec, KINDS } from '../instruments.js'
import { bookSummaryWire, orderBookWire, tickerWire } from '../marketViews.js'
import { optionalEnum, optionalNumber, type Params } from '../params.js'

/** Levels a side `public/get_order_book` returns without `depth`. */
export const DEFAULT_BOOK_DEPTH = 20
const MAX_BOOK_DEPTH = 10_000

function orderBook(core: ExchangeCore, params: Params, spec: InstrumentSpec): unknown {
  const depth = optionalNumber(params, 'depth') ?? DEFAULT_BOOK_DEPTH
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_BOOK_DEPTH)
    throw invalidParams('depth', 'must be an integer between 1 and 10000')
  return orderBookWire(core.market, spec, core.engine.book(spec), depth, core.now())
}

/** Handlers for market data. */
export function marketDataMethods(core: ExchangeCore): Record<string, MethodHandler> {
  return {
    'public/ticker': (params) => {
      const spec = instrumentParam(core, params)
      return tickerWire(core.market, spec, core.engine.book(spec), core.now())
    },
    'public/get_order_book': (params) => orderBook(core, params, instrumentParam(core, params)),
    'public/get_order_book_by_instrument_id': (params) => {
      const id = optionalNumber(params, 'instrument_id')
      if (id === undefined) throw invalidParams('instrument_id', 'value required')
      const spec = core.instruments.find((s) => s.instrument_id === id)
      if (spec === undefined)
        throw new SimRpcError(10020, 'invalid_or_unsupported_instrument', {
          param: 'instrument_id',
          reason: 'instrument not found',
        })
      return orderBook(core, params, spec)
    },
    'public/get_book_summary_by_currency': (params) => {
      const currency = currencyParam(params, true)
      const kind = optionalEnum(params, 'kind', [...KINDS])
      const now = core.now()
      return core.instruments
        .filter((s) => inCurrency(s, currency) && (kind === undefined || s.kind === kind))
        .map((s) => bookSummaryWire(core.market, s, core.engine.book(s), now))
    },
    'public/get_book_summary_by_instrument': (params) => {
      const spec = instrumentParam(core, params)
      return [bookSummaryWire(core.market, spec, core.engine.book(spec), core.now())]
    },
  }
}
