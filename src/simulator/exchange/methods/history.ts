/**
 * Methods that read the market's past: `public/get_delivery_prices`,
 * `public/get_last_settlements_by_currency` / `_by_instrument`, `public/get_funding_rate_history`,
 * `public/get_funding_rate_value`, `public/get_funding_chart_data`,
 * `public/get_historical_volatility`, `public/get_volatility_index_data`,
 * `public/get_index_chart_data`, `public/get_mark_price_history` and
 * `public/get_tradingview_chart_data`. All of them read one minute-by-minute history, so a
 * delivery price equals the index chart at 08:00 and the funding value equals the sum of the
 * funding history.
 */
import { invalidParams, type MethodHandler } from '../../contract.js'
import { HOUR_MS } from '../calendar.js'
import { anyInstrumentParam, currencyParam, type ExchangeCore, inCurrency } from '../exchangeCore.js'
import { MINUTE_MS } from '../history.js'
import type { InstrumentSpec } from '../instruments.js'
import type { Coin } from '../listing.js'
import { coinOf, INDEX_NAMES, markFrom } from '../market.js'
import { round8 } from '../numbers.js'
import {
  optionalEnum,
  optionalInteger,
  optionalString,
  type Params,
  requiredEnum,
  requiredString,
  timeRange,
} from '../params.js'
import { settlementRecords } from '../settlement.js'
import { candleSeries, resolutionParam } from './candles.js'

const SETTLEMENT_TYPES = ['settlement', 'delivery', 'bankruptcy'] as const
/** Settlement records per page when `count` is not given (Deribit's default). */
const DEFAULT_SETTLEMENTS = 20
const INDEX_RANGES: Record<string, [number, number]> = {
  '1h': [HOUR_MS, MINUTE_MS],
  '1d': [24 * HOUR_MS, MINUTE_MS],
  '2d': [48 * HOUR_MS, 5 * MINUTE_MS],
  '1m': [30 * 24 * HOUR_MS, HOUR_MS],
  '1y': [365 * 24 * HOUR_MS, 24 * HOUR_MS],
  all: [Number.POSITIVE_INFINITY, 24 * HOUR_MS],
}
const VOL_RESOLUTIONS: Record<string, number> = {
  '1': 1000,
  '60': MINUTE_MS,
  '3600': HOUR_MS,
  '43200': 12 * HOUR_MS,
  '1D': 24 * HOUR_MS,
}
/** Most candles one volatility-index answer carries; older ones come with `continuation`. */
const MAX_VOL_CANDLES = 1000
/** Hours of realized volatility `get_historical_volatility` returns, and the window of each value. */
const REALIZED_HOURS = 15 * 24
const REALIZED_WINDOW_HOURS = 24

function coinParam(params: Params): Coin {
  const currency = currencyParam(params, false)
  if (currency !== 'BTC' && currency !== 'ETH') throw invalidParams('currency', 'no index for this currency')
  return currency
}

function indexParam(params: Params): { name: string; coin: Coin } {
  const name = requiredString(params, 'index_name')
  if (!(INDEX_NAMES as readonly string[]).includes(name)) throw invalidParams('index_name', 'unknown index')
  return { name, coin: name.startsWith('eth') ? 'ETH' : 'BTC' }
}

function perpetualParam(core: ExchangeCore, params: Params): InstrumentSpec {
  const spec = anyInstrumentParam(core, params)
  if (spec.settlement_period !== 'perpetual' || spec.kind !== 'future')
    throw invalidParams('instrument_name', 'must be a perpetual')
  return spec
}

/** A page of settlement records; `continuation` is the offset of the next page, `none` at the end. */
function settlementPage(core: ExchangeCore, params: Params, select: (s: InstrumentSpec) => boolean): unknown {
  const type = optionalEnum(params, 'type', SETTLEMENT_TYPES)
  const count = optionalInteger(params, 'count', 1, 1000) ?? DEFAULT_SETTLEMENTS
  const before = optionalInteger(params, 'search_start_timestamp', 0, Number.MAX_SAFE_INTEGER)
  const token = optionalString(params, 'continuation')
  const offset = token === undefined || token === 'none' ? 0 : Number(token)
  if (!Number.isInteger(offset) || offset < 0) throw invalidParams('continuation', 'invalid continuation')
  const all = settlementRecords(core.listing, core.history, core.market, core.now(), select).filter(
    (r) => (type === undefined || r.type === type) && (before === undefined || r.timestamp <= before),
  )
  const page = all.slice(offset, offset + count)
  return { settlements: page, continuation: offset + count < all.length ? String(offset + count) : 'none' }
}

/** Handlers of the history methods. */
export function historyMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { history, market } = core
  /** Funding accrued per hour at each hour in the range: `{timestamp, index_price, prev_index_price, interest_1h, interest_8h}`. */
  const fundingHours = (coin: Coin, start: number, end: number) =>
    history.range(coin, start, end, HOUR_MS).map((s) => {
      const before = history.at(coin, s.timestamp - HOUR_MS)
      const perHour = s.interest - before.interest
      return {
        timestamp: s.timestamp,
        index_price: s.index,
        prev_index_price: before.index,
        interest_1h: round8(perHour),
        interest_8h: round8(perHour * 8),
      }
    })
  return {
    'public/get_delivery_prices': (params) => {
      const { coin } = indexParam(params)
      const offset = optionalInteger(params, 'offset', 0, Number.MAX_SAFE_INTEGER) ?? 0
      const count = optionalInteger(params, 'count', 1, 1000) ?? 10
      const all = history.deliveries(coin, core.now())
      return {
        data: all.slice(offset, offset + count).map((d) => ({
          date: new Date(d.timestamp).toISOString().slice(0, 10),
          delivery_price: d.price,
        })),
        records_total: all.length,
      }
    },
    'public/get_last_settlements_by_currency': (params) => {
      const currency = currencyParam(params, false)
      return settlementPage(core, params, (s) => inCurrency(s, currency))
    },
    'public/get_last_settlements_by_instrument': (params) => {
      const spec = anyInstrumentParam(core, params)
      return settlementPage(core, params, (s) => s === spec)
    },
    'public/get_funding_rate_history': (params) => {
      const spec = perpetualParam(core, params)
      const { start, end } = timeRange(params)
      return fundingHours(coinOf(spec), start, end)
    },
    'public/get_funding_rate_value': (params) => {
      const spec = perpetualParam(core, params)
      const { start, end } = timeRange(params)
      const coin = coinOf(spec)
      return round8(history.at(coin, end).interest - history.at(coin, start).interest)
    },
    'public/get_funding_chart_data': (params) => {
      const spec = perpetualParam(core, params)
      const length = requiredEnum(params, 'length', ['8h', '24h', '1m'] as const)
      const now = core.now()
      const [span, step] =
        length === '1m' ? [30 * 24 * HOUR_MS, HOUR_MS] : [(length === '8h' ? 8 : 24) * HOUR_MS, MINUTE_MS]
      const coin = coinOf(spec)
      const rate = round8(market.funding8h(spec))
      return {
        current_interest: rate,
        interest_8h: rate,
        data: history.range(coin, now - span, now, step).map((s) => ({
          timestamp: s.timestamp,
          index_price: s.index,
          interest_8h: round8(s.interest - history.at(coin, s.timestamp - 8 * HOUR_MS).interest),
        })),
      }
    },
    'public/get_historical_volatility': (params) => {
      const coin = coinParam(params)
      const now = core.now()
      const hours = history.range(coin, now - (REALIZED_HOURS + REALIZED_WINDOW_HOURS) * HOUR_MS, now, HOUR_MS)
      const returns = hours.slice(1).map((s, i) => Math.log(s.index / (hours[i] as { index: number }).index))
      const out: [number, number][] = []
      for (let i = REALIZED_WINDOW_HOURS; i <= returns.length; i++) {
        const window = returns.slice(i - REALIZED_WINDOW_HOURS, i)
        const mean = window.reduce((a, b) => a + b, 0) / window.length
        const variance = window.reduce((a, b) => a + (b - mean) ** 2, 0) / (window.length - 1)
        out.push([(hours[i] as { timestamp: number }).timestamp, round8(Math.sqrt(variance * 24 * 365) * 100)])
      }
      return out
    },
    'public/get_volatility_index_data': (params) => {
      const coin = coinParam(params)
      const { start, end } = timeRange(params)
      const resolution = resolutionParam(params)
      const size = VOL_RESOLUTIONS[resolution]
      if (size === undefined)
        throw invalidParams('resolution', `must be one of ${Object.keys(VOL_RESOLUTIONS).join(', ')}`)
      const last = Math.min(end, history.latest)
      const first = Math.max(Math.ceil(start / size) * size, Math.ceil(history.oldest / size) * size)
      const data: number[][] = []
      let bucket = Math.floor(last / size) * size
      for (; bucket >= first && data.length < MAX_VOL_CANDLES; bucket -= size) {
        const samples = history.range(coin, bucket, Math.min(bucket + size - 1, last), MINUTE_MS)
        const vols = (samples.length > 0 ? samples : [history.at(coin, bucket)]).map((s) => round8(s.vol * 100))
        data.push([bucket, vols[0] as number, Math.max(...vols), Math.min(...vols), vols[vols.length - 1] as number])
      }
      data.reverse()
      return { data, continuation: bucket >= first ? bucket : null }
    },
    'public/get_index_chart_data': (params) => {
      const { coin } = indexParam(params)
      const range = requiredEnum(params, 'range', Object.keys(INDEX_RANGES))
      const [span, step] = INDEX_RANGES[range] as [number, number]
      const now = core.now()
      return history.range(coin, now - span, now, step).map((s) => [s.timestamp, s.index])
    },
    'public/get_mark_price_history': (params) => {
      const spec = anyInstrumentParam(core, params)
      const { start, end } = timeRange(params)
      const coin = coinOf(spec)
      const to = Math.min(end, spec.expiration_timestamp)
      const from = Math.max(start, spec.creation_timestamp)
      // Newest first, as Deribit answers.
      return history
        .range(coin, from, to, 5 * MINUTE_MS)
        .map((s) => [s.timestamp, markFrom(spec, s, s.timestamp)])
        .reverse()
    },
    'public/get_tradingview_chart_data': (params) => candleSeries(core, params),
  }
}
