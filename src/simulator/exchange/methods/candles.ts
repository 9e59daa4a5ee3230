/**
 * `public/get_tradingview_chart_data`: candles of an instrument between two times. A bucket with
 * trades is folded from the tape's one-minute candles; a bucket without any is flat at the
 * instrument's mark at its start (from the market history), with zero volume, so a chart never
 * has holes.
 */
import { invalidParams } from '../../contract.js'
import { type ChartResolution, chartBucket } from '../chartResolution.js'
import { anyInstrumentParam, type ExchangeCore } from '../exchangeCore.js'
import { coinOf, markFrom } from '../market.js'
import { round8 } from '../numbers.js'
import { type Params, requiredString, timeRange } from '../params.js'
import type { Candle } from '../tape.js'

/** Resolutions `get_tradingview_chart_data` accepts (minutes, or `1D`). */
const RESOLUTIONS: readonly ChartResolution[] = [
  '1',
  '3',
  '5',
  '10',
  '15',
  '30',
  '60',
  '120',
  '180',
  '360',
  '720',
  '1D',
]
/** Most candles one answer carries (the newest ones of the range). */
const MAX_CANDLES = 5000

/** A `resolution` param, given as a string or (as some clients send it) a number. */
export function resolutionParam(params: Params): string {
  const raw = params.resolution
  return typeof raw === 'number' ? String(raw) : requiredString(params, 'resolution')
}

/** The chart data result: parallel arrays of ticks, open, high, low, close, volume and cost. */
export function candleSeries(core: ExchangeCore, params: Params): unknown {
  const spec = anyInstrumentParam(core, params)
  const { start, end } = timeRange(params)
  const resolution = resolutionParam(params) as ChartResolution
  if (!RESOLUTIONS.includes(resolution)) throw invalidParams('resolution', `must be one of ${RESOLUTIONS.join(', ')}`)
  const now = core.now()
  const to = Math.min(end, now, spec.expiration_timestamp)
  const from = Math.max(start, core.history.oldest, spec.creation_timestamp)
  const buckets: [number, number][] = []
  for (
    let t = chartBucket(resolution, to)[0];
    t >= chartBucket(resolution, from)[0] && buckets.length < MAX_CANDLES;
  ) {
    const bucket = chartBucket(resolution, t)
    if (bucket[0] >= from || bucket[1] > from) buckets.push(bucket)
    t = bucket[0] - 1
  }
  buckets.reverse()
  const minutes = core.tape.candles(spec.instrument_name)
  const out = {
    ticks: [] as number[],
    open: [] as number[],
    high: [] as number[],
    low: [] as number[],
    close: [] as number[],
    volume: [] as number[],
    cost: [] as number[],
  }
  let i = lowerBound(minutes, buckets[0]?.[0] ?? 0)
  const coin = coinOf(spec)
  for (const [b0, b1] of buckets) {
    let bar: Candle | undefined
    for (; i < minutes.length && (minutes[i] as Candle).tick < b1; i++) {
      const m = minutes[i] as Candle
      if (bar === undefined) bar = { ...m, tick: b0 }
      else {
        bar.high = Math.max(bar.high, m.high)
        bar.low = Math.min(bar.low, m.low)
        bar.close = m.close
        bar.volume = round8(bar.volume + m.volume)
        bar.cost = round8(bar.cost + m.cost)
      }
    }
    if (bar === undefined) {
      const mark = markFrom(spec, core.history.at(coin, b0), b0)
      bar = { tick: b0, open: mark, high: mark, low: mark, close: mark, volume: 0, cost: 0 }
    }
    out.ticks.push(b0)
    out.open.push(bar.open)
    out.high.push(bar.high)
    out.low.push(bar.low)
    out.close.push(bar.close)
    out.volume.push(bar.volume)
    out.cost.push(bar.cost)
  }
  return { status: out.ticks.length > 0 ? 'ok' : 'no_data', ...out }
}

/** Index of the first candle at or after `t`. */
function lowerBound(candles: readonly Candle[], t: number): number {
  let lo = 0
  let hi = candles.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if ((candles[mid] as Candle).tick < t) lo = mid + 1
    else hi = mid
  }
  return lo
}
