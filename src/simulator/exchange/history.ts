/**
 * The market's minute-by-minute past: each coin's index, at-the-money volatility, perpetual
 * premium and cumulative funding, one sample a minute. At start it is filled backwards
 * {@link HISTORY_DAYS} days with a seeded random walk ending at the live state; afterwards the
 * clock drives it: every minute that passes moves volatility and premium one seeded step,
 * accrues funding and records a sample. Delivery prices, settlements, funding history and
 * volatility/mark/index charts are all read from it, so they agree with each other.
 */
import { DAY_MS } from './calendar.js'
import { COINS, type Coin, HISTORY_DAYS } from './listing.js'
import type { CoinState, Market } from './market.js'
import { funding8h } from './pricing.js'
import type { Random } from './random.js'

/** One sample a minute. */
export const MINUTE_MS = 60_000
const EIGHT_HOURS_MS = 8 * 3_600_000
/** Samples kept beyond the backfill before the oldest are dropped. */
const MAX_SAMPLES = (HISTORY_DAYS + 30) * 1440
/** Per-minute relative moves of the backfilled index, volatility and premium. */
const INDEX_SIGMA = 0.0006
const VOL_SIGMA = 0.002
const PREMIUM_SIGMA = 0.00004
/** Pull of volatility and premium back to their means, per minute. */
const REVERSION = 0.002
const VOL_MEAN: Record<Coin, number> = { BTC: 0.55, ETH: 0.7 }
const PREMIUM_MEAN = 0.0008

interface Series {
  index: number[]
  vol: number[]
  premium: number[]
  interest: number[]
}

/** One coin's state at a sampled minute. */
export interface Sample extends CoinState {
  /** Minute start, ms. */
  timestamp: number
}

export class MarketHistory {
  /** Timestamp of sample 0. */
  private first: number
  private readonly series: Record<Coin, Series>

  /** Backfills from the market's live state, the newest sample at `start`'s minute. */
  constructor(
    private readonly market: Market,
    private readonly random: Random,
    start: number,
  ) {
    const samples = HISTORY_DAYS * 1440
    const last = Math.floor(start / MINUTE_MS) * MINUTE_MS
    this.first = last - (samples - 1) * MINUTE_MS
    this.series = { BTC: this.backfill('BTC', samples), ETH: this.backfill('ETH', samples) }
  }

  private backfill(coin: Coin, samples: number): Series {
    const live = this.market.coin(coin)
    const s: Series = {
      index: new Array<number>(samples),
      vol: new Array<number>(samples),
      premium: new Array<number>(samples),
      interest: new Array<number>(samples),
    }
    let { index, vol, premium, interest } = live
    // Walk backwards from the live state, so the newest sample is exactly it.
    for (let i = samples - 1; i >= 0; i--) {
      s.index[i] = index
      s.vol[i] = vol
      s.premium[i] = premium
      s.interest[i] = interest
      index = Math.round(index * (1 + this.noise() * INDEX_SIGMA) * 100) / 100
      vol = this.revert(vol, VOL_MEAN[coin], VOL_SIGMA)
      premium = this.revert(premium, PREMIUM_MEAN, PREMIUM_SIGMA)
      interest -= (funding8h(premium) * MINUTE_MS) / EIGHT_HOURS_MS
    }
    return s
  }

  private noise(): number {
    return (this.random.next() - 0.5) * 2 * Math.sqrt(3)
  }

  private revert(value: number, mean: number, sigma: number): number {
    return value + (mean - value) * REVERSION + this.noise() * sigma
  }

  /** Timestamp of the newest sample. */
  get latest(): number {
    return this.first + (this.series.BTC.index.length - 1) * MINUTE_MS
  }

  /** Timestamp of the oldest sample. */
  get oldest(): number {
    return this.first
  }

  /** Records every minute up to `now`, moving volatility and premium and accruing funding as it goes. */
  catchUp(now: number): void {
    while (this.latest + MINUTE_MS <= now) {
      for (const coin of COINS) {
        const live = this.market.coin(coin)
        live.vol = this.revert(live.vol, VOL_MEAN[coin], VOL_SIGMA)
        live.premium = this.revert(live.premium, PREMIUM_MEAN, PREMIUM_SIGMA)
        live.interest += (funding8h(live.premium) * MINUTE_MS) / EIGHT_HOURS_MS
        const s = this.series[coin]
        s.index.push(live.index)
        s.vol.push(live.vol)
        s.premium.push(live.premium)
        s.interest.push(live.interest)
      }
      if (this.series.BTC.index.length > MAX_SAMPLES + 1440) this.trim(1440)
    }
  }

  private trim(n: number): void {
    for (const coin of COINS) for (const list of Object.values(this.series[coin])) list.splice(0, n)
    this.first += n * MINUTE_MS
  }

  /** The coin's sample at or before `t` (the oldest one for earlier times, the live state after the newest). */
  at(coin: Coin, t: number): Sample {
    const s = this.series[coin]
    if (t >= this.latest + MINUTE_MS) return { ...this.market.coin(coin), timestamp: t }
    const i = Math.max(0, Math.min(s.index.length - 1, Math.floor((t - this.first) / MINUTE_MS)))
    return {
      timestamp: this.first + i * MINUTE_MS,
      index: s.index[i] as number,
      vol: s.vol[i] as number,
      premium: s.premium[i] as number,
      interest: s.interest[i] as number,
    }
  }

  /** Samples every `stepMs` (a multiple of a minute) in `[from, to]`, oldest first, clipped to the history. */
  range(coin: Coin, from: number, to: number, stepMs: number): Sample[] {
    const step = Math.max(MINUTE_MS, Math.round(stepMs / MINUTE_MS) * MINUTE_MS)
    const start = Math.max(Math.ceil(from / step) * step, Math.ceil(this.first / step) * step)
    const end = Math.min(to, this.latest)
    const out: Sample[] = []
    for (let t = start; t <= end; t += step) out.push(this.at(coin, t))
    return out
  }

  /** The index at each daily 08:00 UTC delivery in the history, newest first. */
  deliveries(coin: Coin, now: number): { timestamp: number; price: number }[] {
    const out: { timestamp: number; price: number }[] = []
    let t = Math.floor(Math.min(now, this.latest) / DAY_MS) * DAY_MS + 8 * 3_600_000
    if (t > Math.min(now, this.latest)) t -= DAY_MS
    for (; t >= this.first; t -= DAY_MS) out.push({ timestamp: t, price: this.at(coin, t).index })
    return out
  }
}
