/**
 * The public channel families beyond books, trades, tickers and the price index: `quote.*`,
 * `incremental_ticker.*`, `perpetual.*`, `chart.trades.*`, `deribit_price_ranking.*`,
 * `deribit_price_statistics.*`, `deribit_volatility_index.*`, `markprice.options.*`,
 * `estimated_expiration_price.*`, `instrument.state.*`, `platform_state*` and `announcements`.
 * Each payload is built only when someone is subscribed (the sink's `wants`), so an idle family
 * costs one map lookup a step.
 */
import type { EventSink } from '../contract.js'
import { DAY_MS } from './calendar.js'
import { CHART_RESOLUTIONS, type ChartResolution, chartBucket } from './chartResolution.js'
import type { MarketHistory } from './history.js'
import type { InstrumentSpec } from './instruments.js'
import type { Coin, Listing } from './listing.js'
import { coinOf, INDEX_NAMES, type Market, optionVol } from './market.js'
import { tickerWire } from './marketViews.js'
import type { MatchingEngine } from './matchingEngine.js'
import { round8 } from './numbers.js'
import type { Candle, Tape, TapeTrade } from './tape.js'

/** Venues the simulated index is ranked over (names only; their prices are the index's spread). */
const CONSTITUENTS = ['bitstamp', 'coinbase', 'gemini', 'itbit', 'kraken', 'lmax'] as const
/** The last half hour before an expiry, when Deribit's delivery price is an estimate being averaged. */
const ESTIMATION_WINDOW_MS = 30 * 60_000

/** One exchange announcement (`public/get_announcements`, `announcements`). */
export interface Announcement {
  id: number
  title: string
  body: string
  important: boolean
  publication_timestamp: number
}

export class MarketFeeds {
  private readonly lastTicker = new Map<string, Record<string, unknown>>()
  /** Per instrument, the `chart.trades` channels someone watches, as of a `publicVersion`. */
  private readonly chartChannels = new Map<
    string,
    { version: number; wanted: readonly (readonly [ChartResolution, string])[] }
  >()
  private readonly dayRanges = new Map<Coin, { minute: number; first: number; high: number; low: number }>()
  readonly announcements: Announcement[] = []

  constructor(
    private readonly sink: EventSink,
    private readonly market: Market,
    private readonly history: MarketHistory,
    private readonly listing: Listing,
    private readonly engine: MatchingEngine,
    private readonly tape: Tape,
    private readonly now: () => number,
  ) {
    tape.onCandle = (name, _minute, trade) => this.chart(name, trade)
  }

  private wants(channelBase: string): boolean {
    return this.sink.wants?.(channelBase) ?? false
  }

  /** True between the start and the end of a generator step, which publishes its instrument itself. */
  stepping = false

  /**
   * After an operation outside a generator step (an order, a cancel, a fill) changed `name`'s
   * book or trades: its ticker, quote and incremental ticker, as Deribit sends them on any change.
   */
  instrumentChanged(name: string): void {
    if (this.stepping) return
    const spec = this.listing.byName.get(name)
    if (spec === undefined) return
    const now = this.now()
    if (this.wants(`ticker.${name}`))
      this.sink.publish(`ticker.${name}`, tickerWire(this.market, spec, this.engine.book(spec), now))
    this.instrumentFeeds(spec, now)
  }

  /** After a generator step moved the index and requoted or traded `spec`. */
  afterStep(spec: InstrumentSpec): void {
    this.stepping = false
    const now = this.now()
    this.instrumentFeeds(spec, now)
    for (const perpetual of this.listing.active) {
      if (perpetual.settlement_period !== 'perpetual' || perpetual.kind !== 'future') continue
      const channel = `perpetual.${perpetual.instrument_name}`
      if (!this.wants(channel)) continue
      this.sink.publish(channel, {
        timestamp: now,
        index_price: this.market.indexOf(perpetual),
        interest: round8(this.market.funding8h(perpetual)),
      })
    }
    for (const index of INDEX_NAMES) this.indexFeeds(index, now)
  }

  /** `quote.*` and `incremental_ticker.*` of one instrument, to whoever watches them. */
  private instrumentFeeds(spec: InstrumentSpec, now: number): void {
    const name = spec.instrument_name
    const book = this.engine.book(spec)
    if (this.wants(`quote.${name}`)) {
      const bid = book.best('buy')
      const ask = book.best('sell')
      this.sink.publish(`quote.${name}`, {
        timestamp: now,
        instrument_name: name,
        best_bid_price: bid?.price ?? 0,
        best_bid_amount: bid?.total ?? 0,
        best_ask_price: ask?.price ?? 0,
        best_ask_amount: ask?.total ?? 0,
      })
    }
    if (this.wants(`incremental_ticker.${name}`)) this.incrementalTicker(spec, now)
  }

  private incrementalTicker(spec: InstrumentSpec, now: number): void {
    const name = spec.instrument_name
    const ticker = tickerWire(this.market, spec, this.engine.book(spec), now)
    const previous = this.lastTicker.get(name)
    this.lastTicker.set(name, ticker)
    const change: Record<string, unknown> = { type: 'change', instrument_name: name, timestamp: now }
    for (const [key, value] of Object.entries(ticker)) {
      const before = previous?.[key]
      if (JSON.stringify(before) !== JSON.stringify(value)) change[key] = value
    }
    this.sink.publish(`incremental_ticker.${name}`, change)
  }

  private indexFeeds(index: string, now: number): void {
    const coin: Coin = index.startsWith('eth') ? 'ETH' : 'BTC'
    const price = this.market.index(index) ?? 0
    if (this.wants(`deribit_price_ranking.${index}`)) {
      const weight = round8(100 / CONSTITUENTS.length)
      this.sink.publish(
        `deribit_price_ranking.${index}`,
        CONSTITUENTS.map((identifier, i) => {
          // Venues quote around the index, symmetric so their weighted mean is the index.
          const offset = ((i - (CONSTITUENTS.length - 1) / 2) * 0.0001 * ((Math.floor(now / 1000) % 5) + 1)) / 5
          const venue = Math.round(price * (1 + offset) * 100) / 100
          return { identifier, price: venue, original_price: venue, weight, timestamp: now, enabled: true }
        }),
      )
    }
    if (this.wants(`deribit_price_statistics.${index}`)) {
      const day = this.dayRange(coin, now)
      this.sink.publish(`deribit_price_statistics.${index}`, {
        index_name: index,
        high24h: Math.max(day.high, price),
        low24h: Math.min(day.low, price),
        change24h: Math.round((price - day.first) * 100) / 100,
        high_volatility: false,
      })
    }
    if (!index.endsWith('_usd')) return
    if (this.wants(`deribit_volatility_index.${index}`))
      this.sink.publish(`deribit_volatility_index.${index}`, {
        index_name: index,
        volatility: Math.round(this.market.coin(coin).vol * 10_000) / 100,
        timestamp: now,
      })
    if (this.wants(`markprice.options.${index}`))
      this.sink.publish(
        `markprice.options.${index}`,
        this.listing.active
          .filter((s) => s.kind === 'option' && coinOf(s) === coin)
          .map((s) => ({
            instrument_name: s.instrument_name,
            mark_price: this.market.mark(s),
            iv: round8(optionVol(s, this.market.coin(coin), now)),
            timestamp: now,
          })),
      )
    if (this.wants(`estimated_expiration_price.${index}`)) {
      const next = this.nextExpiry(coin)
      if (next !== undefined)
        this.sink.publish(`estimated_expiration_price.${index}`, {
          seconds: Math.max(0, Math.round((next - now) / 1000)),
          price,
          is_estimated: next - now <= ESTIMATION_WINDOW_MS,
        })
    }
  }

  /** The index's range over the last 24 hours of minutes, recomputed once a minute. */
  private dayRange(coin: Coin, now: number): { first: number; high: number; low: number } {
    const minute = Math.floor(now / 60_000)
    const cached = this.dayRanges.get(coin)
    if (cached !== undefined && cached.minute === minute) return cached
    const day = this.history.range(coin, now - DAY_MS, now, 60_000).map((s) => s.index)
    const price = this.market.coin(coin).index
    const range = { minute, first: day[0] ?? price, high: Math.max(price, ...day), low: Math.min(price, ...day) }
    this.dayRanges.set(coin, range)
    return range
  }

  private nextExpiry(coin: Coin): number | undefined {
    let next: number | undefined
    for (const s of this.listing.active)
      if (
        coinOf(s) === coin &&
        s.settlement_period !== 'perpetual' &&
        (next === undefined || s.expiration_timestamp < next)
      )
        next = s.expiration_timestamp
    return next
  }

  /** `chart.trades.{instrument}.{resolution}`: the bar a trade just moved, for each subscribed resolution. */
  private chart(name: string, trade: TapeTrade): void {
    if (this.sink.wants === undefined) return
    // Trades are the hot path: which resolutions anyone watches is looked up again only when
    // the set of subscribed channels changed.
    const version = this.sink.publicVersion?.() ?? Number.NaN
    let cached = this.chartChannels.get(name)
    if (cached === undefined || cached.version !== version) {
      const wanted = CHART_RESOLUTIONS.map((r) => [r, `chart.trades.${name}.${r}`] as const).filter(([, channel]) =>
        this.wants(channel),
      )
      cached = { version, wanted }
      this.chartChannels.set(name, cached)
    }
    for (const [resolution, channel] of cached.wanted)
      this.sink.publish(channel, this.bar(name, resolution, trade.timestamp))
  }

  /** The bar of `resolution` containing `t`, folded from the tape's one-minute candles. */
  bar(name: string, resolution: ChartResolution, t: number): Candle {
    const [start] = chartBucket(resolution, t)
    const minutes = this.tape.candles(name)
    let bar: Candle | undefined
    for (let i = minutes.length - 1; i >= 0; i--) {
      const m = minutes[i] as Candle
      if (m.tick < start) break
      if (bar === undefined) bar = { ...m, tick: start }
      else {
        bar.open = m.open
        bar.high = Math.max(bar.high, m.high)
        bar.low = Math.min(bar.low, m.low)
        bar.volume = round8(bar.volume + m.volume)
        bar.cost = round8(bar.cost + m.cost)
      }
    }
    const spec = this.listing.byName.get(name)
    const mark = spec === undefined ? 0 : this.market.mark(spec)
    return bar ?? { tick: start, open: mark, high: mark, low: mark, close: mark, volume: 0, cost: 0 }
  }

  /** `instrument.state.{kind}.{currency}` and `instrument.state.any.*` for a listing change. */
  instrumentState(spec: InstrumentSpec, state: 'created' | 'started' | 'settled' | 'closed'): void {
    const data = { instrument_name: spec.instrument_name, state, timestamp: this.now() }
    for (const kind of [spec.kind, 'any'])
      for (const currency of new Set([spec.base_currency, spec.settlement_currency, 'any']))
        this.sink.publish(`instrument.state.${kind}.${currency}`, data)
  }

  /** Publishes an announcement and keeps it for `public/get_announcements`. */
  announce(title: string, body: string, important = false): void {
    const a: Announcement = {
      id: this.announcements.length + 1,
      title,
      body,
      important,
      publication_timestamp: this.now(),
    }
    this.announcements.push(a)
    this.sink.publish('announcements', { action: 'new', ...a })
  }

  /** The notification a new subscriber of `channel` gets at once, if the family starts with one. */
  snapshot(channel: string): unknown {
    if (channel === 'platform_state') return { locked: false, price_index: 'btc_usd' }
    if (channel === 'platform_state.public_methods_state') return { allow_unauthenticated_public_requests: true }
    if (channel.startsWith('incremental_ticker.')) {
      const spec = this.listing.byName.get(channel.slice('incremental_ticker.'.length))
      if (spec === undefined) return undefined
      const ticker = tickerWire(this.market, spec, this.engine.book(spec), this.now())
      // Later changes are sent relative to what subscribers last saw.
      this.lastTicker.set(spec.instrument_name, ticker)
      return { type: 'snapshot', ...ticker }
    }
    return undefined
  }
}
