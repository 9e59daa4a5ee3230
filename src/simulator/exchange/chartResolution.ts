/**
 * Candle resolutions: the minute counts and day codes Deribit's chart method
 * (`get_tradingview_chart_data`) and channel (`chart.trades.*`) accept, and the bucket a time
 * falls in for each (weeks start on Monday, months on the 1st, UTC).
 */
import { DAY_MS } from './calendar.js'

/** Resolutions the `chart.trades` channel accepts (the method's list plus 240, D, W and M). */
export const CHART_RESOLUTIONS = [
  '1',
  '3',
  '5',
  '10',
  '15',
  '30',
  '60',
  '120',
  '180',
  '240',
  '360',
  '720',
  '1D',
  'D',
  'W',
  'M',
] as const

/** One of {@link CHART_RESOLUTIONS}. */
export type ChartResolution = (typeof CHART_RESOLUTIONS)[number]

/** True for a resolution the channel accepts. */
export function isChartResolution(value: string): value is ChartResolution {
  return (CHART_RESOLUTIONS as readonly string[]).includes(value)
}

/** `[start, end)` of the bucket of `resolution` that contains `t`. */
export function chartBucket(resolution: ChartResolution, t: number): [number, number] {
  if (resolution === 'M') {
    const d = new Date(t)
    return [Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)]
  }
  if (resolution === 'W') {
    // 1970-01-01 was a Thursday: shift by three days so buckets start on Mondays.
    const shift = 3 * DAY_MS
    const start = Math.floor((t + shift) / (7 * DAY_MS)) * 7 * DAY_MS - shift
    return [start, start + 7 * DAY_MS]
  }
  const size = resolution === '1D' || resolution === 'D' ? DAY_MS : Number(resolution) * 60_000
  const start = Math.floor(t / size) * size
  return [start, start + size]
}
