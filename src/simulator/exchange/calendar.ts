/**
 * Deribit's expiry calendar: every dated instrument expires at 08:00 UTC, weeklies on Fridays,
 * monthlies on a month's last Friday and quarterlies on the last Friday of March, June,
 * September and December. Names carry the expiry as `DMMMYY` (`BTC-5DEC26`, no leading zero).
 */

/** Deribit's expiry and settlement hour, UTC. */
export const SETTLEMENT_HOUR_UTC = 8
/** One day, in ms. */
export const DAY_MS = 86_400_000
/** One hour, in ms. */
export const HOUR_MS = 3_600_000
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] as const

/** How often a series of dated instruments expires. */
export type Cadence = 'day' | 'week' | 'month' | 'quarter'

/** The date part of an instrument name, e.g. `5DEC26`. */
export function expiryCode(expiryMs: number): string {
  const d = new Date(expiryMs)
  return `${d.getUTCDate()}${MONTHS[d.getUTCMonth()]}${String(d.getUTCFullYear() % 100).padStart(2, '0')}`
}

/** 08:00 UTC of the day `ms` falls in. */
export function settlementOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS + SETTLEMENT_HOUR_UTC * HOUR_MS
}

/** The first daily 08:00 UTC settlement strictly after `ms`. */
export function nextDailySettlement(ms: number): number {
  const today = settlementOfDay(ms)
  return today > ms ? today : today + DAY_MS
}

function lastFridayOfMonth(year: number, month: number): number {
  const last = new Date(Date.UTC(year, month + 1, 0, SETTLEMENT_HOUR_UTC))
  const back = (last.getUTCDay() - 5 + 7) % 7
  return last.getTime() - back * DAY_MS
}

/** The first expiry of `cadence` strictly after `ms`. */
export function nextExpiry(cadence: Cadence, ms: number): number {
  if (cadence === 'day') return nextDailySettlement(ms)
  if (cadence === 'week') {
    let t = nextDailySettlement(ms)
    while (new Date(t).getUTCDay() !== 5) t += DAY_MS
    return t
  }
  const d = new Date(ms)
  let year = d.getUTCFullYear()
  let month = d.getUTCMonth()
  for (;;) {
    const quarterEnd = month % 3 === 2
    if (cadence === 'month' || quarterEnd) {
      const t = lastFridayOfMonth(year, month)
      if (t > ms) return t
    }
    month++
    if (month === 12) {
      month = 0
      year++
    }
  }
}

/** The `count` expiries of `cadence` following `ms`, in order. */
export function expiriesAfter(cadence: Cadence, ms: number, count: number): number[] {
  const out: number[] = []
  let t = ms
  for (let i = 0; i < count; i++) {
    t = nextExpiry(cadence, t)
    out.push(t)
  }
  return out
}

/** Every expiry of `cadence` in `(from, to]`, in order. */
export function expiriesBetween(cadence: Cadence, from: number, to: number): number[] {
  const out: number[] = []
  for (let t = nextExpiry(cadence, from); t <= to; t = nextExpiry(cadence, t)) out.push(t)
  return out
}
