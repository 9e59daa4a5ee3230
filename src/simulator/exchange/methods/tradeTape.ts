/**
 * Public trade queries over the tape: `public/get_last_trades_by_instrument` (and `_and_time`),
 * `public/get_last_trades_by_currency` (and `_and_time`) and `public/get_trade_volumes`.
 */
import { invalidParams, type MethodHandler } from '../../contract.js'
import { DAY_MS } from '../calendar.js'
import { anyInstrumentParam, currencyParam, type ExchangeCore, inCurrency } from '../exchangeCore.js'
import type { InstrumentSpec } from '../instruments.js'
import { round8 } from '../numbers.js'
import { optionalBoolean, optionalEnum, optionalInteger, optionalString, type Params } from '../params.js'
import type { TapeTrade } from '../tape.js'

/** Trades returned when `count` is not given (Deribit's default). */
const DEFAULT_COUNT = 10
const KINDS_WITH_COMBO = ['future', 'option', 'spot', 'future_combo', 'option_combo', 'combo', 'any'] as const
const TIMESTAMP_MAX = Number.MAX_SAFE_INTEGER

/** The numeric part of a trade id (`12`, `ETH-12`), which grows with time across currencies. */
function tradeNumber(id: string): number {
  const n = Number(id.slice(id.lastIndexOf('-') + 1))
  return Number.isFinite(n) ? n : Number.NaN
}

function tradeIdParam(params: Params, name: string): number | undefined {
  const id = optionalString(params, name)
  if (id === undefined) return undefined
  const n = tradeNumber(id)
  if (Number.isNaN(n)) throw invalidParams(name, 'not a trade id')
  return n
}

/** `{trades, has_more}`: the newest `count` matches (or the oldest from a start bound with `asc`). */
function page(params: Params, matches: TapeTrade[], timeRequired: boolean): unknown {
  const count = optionalInteger(params, 'count', 1, 1000) ?? DEFAULT_COUNT
  const sorting = optionalEnum(params, 'sorting', ['asc', 'desc', 'default'] as const) ?? 'desc'
  const start = optionalInteger(params, 'start_timestamp', 0, TIMESTAMP_MAX)
  const end = optionalInteger(params, 'end_timestamp', 0, TIMESTAMP_MAX)
  if (timeRequired && (start === undefined || end === undefined))
    throw invalidParams(start === undefined ? 'start_timestamp' : 'end_timestamp', 'value required')
  const inTime = matches.filter(
    (t) => (start === undefined || t.timestamp >= start) && (end === undefined || t.timestamp <= end),
  )
  // Ascending from a start bound reads forward from it; otherwise the newest come first.
  const fromStart = sorting === 'asc' && start !== undefined
  const chosen = fromStart ? inTime.slice(0, count) : inTime.slice(-count)
  return { trades: sorting === 'asc' ? chosen : chosen.reverse(), has_more: inTime.length > count }
}

/** Handlers over the public trade tape. */
export function tradeTapeMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const byInstrument =
    (timeRequired: boolean): MethodHandler =>
    (params) => {
      const spec = anyInstrumentParam(core, params)
      const startSeq = optionalInteger(params, 'start_seq', 0, TIMESTAMP_MAX)
      const endSeq = optionalInteger(params, 'end_seq', 0, TIMESTAMP_MAX)
      const trades = core.tape
        .trades(spec.instrument_name)
        .filter(
          (t) => (startSeq === undefined || t.trade_seq >= startSeq) && (endSeq === undefined || t.trade_seq <= endSeq),
        )
      return page(params, trades, timeRequired)
    }
  const byCurrency =
    (timeRequired: boolean): MethodHandler =>
    (params) => {
      const currency = currencyParam(params, false)
      const kind = optionalEnum(params, 'kind', KINDS_WITH_COMBO) ?? 'any'
      const startId = timeRequired ? undefined : tradeIdParam(params, 'start_id')
      const endId = timeRequired ? undefined : tradeIdParam(params, 'end_id')
      const specs = instrumentsOf(core, currency, kind)
      const trades = specs
        .flatMap((s) => core.tape.trades(s.instrument_name))
        .filter((t) => {
          const n = tradeNumber(t.trade_id)
          return (startId === undefined || n >= startId) && (endId === undefined || n <= endId)
        })
        .sort((a, b) => a.timestamp - b.timestamp || tradeNumber(a.trade_id) - tradeNumber(b.trade_id))
      return page(params, trades, timeRequired)
    }
  return {
    'public/get_last_trades_by_instrument': byInstrument(false),
    'public/get_last_trades_by_instrument_and_time': byInstrument(true),
    'public/get_last_trades_by_currency': byCurrency(false),
    'public/get_last_trades_by_currency_and_time': byCurrency(true),
    'public/get_trade_volumes': (params) => {
      const extended = optionalBoolean(params, 'extended') ?? false
      const now = core.now()
      return (['BTC', 'ETH'] as const).map((currency) => {
        const row: Record<string, unknown> = { currency }
        const windows: [string, number][] = extended
          ? [
              ['', DAY_MS],
              ['_7d', 7 * DAY_MS],
              ['_30d', 30 * DAY_MS],
            ]
          : [['', DAY_MS]]
        for (const [suffix, span] of windows) {
          const v = volumes(core, currency, now - span)
          row[`calls_volume${suffix}`] = v.calls
          row[`puts_volume${suffix}`] = v.puts
          row[`futures_volume${suffix}`] = v.futures
          row[`spot_volume${suffix}`] = v.spot
        }
        return row
      })
    },
  }
}

function instrumentsOf(core: ExchangeCore, currency: string, kind: string): InstrumentSpec[] {
  const all = [...core.instruments, ...core.listing.expired.values()]
  // No combos are listed, so combo kinds select nothing.
  return all.filter((s) => inCurrency(s, currency) && (kind === 'any' || s.kind === kind))
}

/** Traded volume since `since` in the currency's coin: options in contracts, futures and spot in coin. */
function volumes(core: ExchangeCore, currency: 'BTC' | 'ETH', since: number) {
  const v = { calls: 0, puts: 0, futures: 0, spot: 0 }
  for (const spec of [...core.instruments, ...core.listing.expired.values()]) {
    if (spec.base_currency !== currency) continue
    for (const t of core.tape.trades(spec.instrument_name)) {
      if (t.timestamp < since) continue
      const inverse = spec.kind === 'future' && spec.instrument_type === 'reversed'
      const coins = inverse ? t.amount / t.price : t.amount
      if (spec.kind === 'option') v[spec.option_type === 'put' ? 'puts' : 'calls'] += coins
      else if (spec.kind === 'spot') v.spot += coins
      else v.futures += coins
    }
  }
  return { calls: round8(v.calls), puts: round8(v.puts), futures: round8(v.futures), spot: round8(v.spot) }
}
