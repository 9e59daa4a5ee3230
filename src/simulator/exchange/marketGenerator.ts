/**
 * The seeded market: moves the index prices, keeps a market maker's ladder of resting orders
 * on every book (account 0, not any user's), sends taker flow through the books (which fills
 * users' resting orders it reaches) and publishes index and ticker updates. Every random choice
 * comes from one seeded source, so a seed and a clock replay the same market. Also serves
 * benchmark bursts of trades and book changes.
 */
import type { EventSink } from '../contract.js'
import type { BookFeed } from './bookFeed.js'
import { type InstrumentSpec, PERPETUAL_EXPIRY_MS, tickAt } from './instruments.js'
import type { Market } from './market.js'
import { INDEX_NAMES } from './market.js'
import { tickerWire } from './marketViews.js'
import type { MatchingEngine, NewOrder } from './matchingEngine.js'
import { clean, round8, roundToStep } from './numbers.js'
import { isLive, MARKET_MAKER_ACCOUNT, type OrderIds, type OrderRecord, remainingOf } from './orderRecord.js'
import type { Random } from './random.js'

/** Generator steps per second when not configured. */
export const DEFAULT_MARKET_RATE_HZ = 10
/** Price levels the market maker quotes on each side. */
export const LADDER_LEVELS = 10
/** Events a burst emits before yielding to the event loop (so sockets can drain). */
export const BURST_CHUNK = 10_000
/** Shortest timer period; faster rates run several steps per period. */
const MIN_PERIOD_MS = 10
/** Relative index move per step (one standard-ish step of a random walk). */
const INDEX_STEP = 0.00002

/** What the exchange does around each generator step: advance its clock-driven state, publish its feeds. */
export interface StepHooks {
  /** Before the step: history catches up, expiries roll. */
  before(): void
  /** After the step moved the index and requoted or traded `spec`. */
  after(spec: InstrumentSpec): void
}

interface Ladder {
  readonly bids: Map<number, OrderRecord>
  readonly asks: Map<number, OrderRecord>
}

export class MarketGenerator {
  private readonly ladders = new Map<string, Ladder>()
  /** The perpetuals: they get most of the steps, as most of Deribit's flow is theirs. */
  private readonly majors: readonly InstrumentSpec[]
  private timer: ReturnType<typeof setInterval> | undefined
  private rateHz: number
  private paused = false
  private carry = 0
  private readonly bursts = new Set<{ handle: ReturnType<typeof setImmediate> | undefined; done: () => void }>()

  constructor(
    private readonly instruments: readonly InstrumentSpec[],
    private readonly market: Market,
    private readonly engine: MatchingEngine,
    private readonly feed: BookFeed,
    private readonly ids: OrderIds,
    private readonly sink: EventSink,
    private readonly random: Random,
    private readonly now: () => number,
    rateHz: number,
    private readonly hooks: StepHooks = { before() {}, after() {} },
  ) {
    this.rateHz = rateHz
    this.majors = instruments.filter((s) => s.kind === 'future' && s.expiration_timestamp === PERPETUAL_EXPIRY_MS)
    for (const spec of instruments) this.requote(spec)
    this.schedule()
  }

  /** Stops the timer; manual `tick`s still work. */
  pause(): void {
    this.paused = true
    this.schedule()
  }

  /** Restarts the timer at the current rate. */
  resume(): void {
    this.paused = false
    this.schedule()
  }

  /** Steps per second; 0 leaves only manual ticks. */
  setRate(eventsPerSec: number): void {
    this.rateHz = Number.isFinite(eventsPerSec) && eventsPerSec > 0 ? eventsPerSec : 0
    this.schedule()
  }

  /** Advances the market `n` steps synchronously. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) this.step()
  }

  /** Stops the timer and any burst still running. */
  close(): void {
    this.paused = true
    this.schedule()
    for (const burst of this.bursts) {
      if (burst.handle !== undefined) clearImmediate(burst.handle)
      burst.done()
    }
    this.bursts.clear()
  }

  private schedule(): void {
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    if (this.paused || this.rateHz <= 0) return
    const periodMs = Math.max(MIN_PERIOD_MS, 1000 / this.rateHz)
    const perPeriod = (this.rateHz * periodMs) / 1000
    this.timer = setInterval(() => {
      this.carry += perPeriod
      const steps = Math.floor(this.carry)
      this.carry -= steps
      try {
        this.tick(steps)
      } catch {
        // A generator step must never take the process down; the next step starts afresh.
      }
    }, periodMs)
    this.timer.unref?.()
  }

  /** Quotes a newly listed instrument at once, so its book is never empty. */
  list(spec: InstrumentSpec): void {
    this.requote(spec)
  }

  /** Forgets the ladder of an expired instrument (its orders were cancelled at expiry). */
  delist(spec: InstrumentSpec): void {
    this.ladders.delete(spec.instrument_name)
  }

  /** One market event: the index moves, one instrument is requoted or traded, triggers fire. */
  private step(): void {
    this.hooks.before()
    this.moveIndex()
    const spec = this.pickInstrument()
    this.engine.batch(() => {
      if (this.random.chance(0.6)) this.requote(spec)
      else this.takerFlow(spec)
      this.engine.checkTriggers()
    })
    const now = this.now()
    this.sink.publish(`ticker.${spec.instrument_name}`, tickerWire(this.market, spec, this.engine.book(spec), now))
    this.hooks.after(spec)
  }

  /** Three steps in four go to a perpetual; the rest spread over every listed instrument. */
  private pickInstrument(): InstrumentSpec {
    const majors = this.majors
    return this.random.chance(0.75) && majors.length > 0 ? this.random.pick(majors) : this.random.pick(this.instruments)
  }

  private moveIndex(): void {
    const now = this.now()
    for (const coin of ['btc', 'eth'] as const) {
      const current = this.market.index(`${coin}_usd`) ?? 0
      this.market.setIndex(coin, current * (1 + (this.random.next() - 0.5) * 2 * INDEX_STEP))
    }
    for (const name of INDEX_NAMES)
      this.sink.publish(`deribit_price_index.${name}`, {
        index_name: name,
        price: this.market.index(name),
        timestamp: now,
      })
  }

  private ladder(spec: InstrumentSpec): Ladder {
    let ladder = this.ladders.get(spec.instrument_name)
    if (ladder === undefined) {
      ladder = { bids: new Map(), asks: new Map() }
      this.ladders.set(spec.instrument_name, ladder)
    }
    return ladder
  }

  /** Re-centres the market maker's ladder on the mark and varies one level's size. */
  private requote(spec: InstrumentSpec): void {
    this.engine.batch(() => {
      const mark = this.market.mark(spec)
      const tick = tickAt(spec, mark)
      const mid = roundToStep(mark, tick)
      const ladder = this.ladder(spec)
      const wantBids = new Set<number>()
      const wantAsks = new Set<number>()
      for (let k = 1; k <= LADDER_LEVELS; k++) {
        const bid = clean(mid - k * tick)
        if (bid > 0) wantBids.add(bid)
        wantAsks.add(clean(mid + k * tick))
      }
      // Cancel first on both sides so new quotes never meet the maker's own stale ones.
      this.prune(ladder.bids, wantBids)
      this.prune(ladder.asks, wantAsks)
      this.fill(spec, 'buy', ladder.bids, wantBids)
      this.fill(spec, 'sell', ladder.asks, wantAsks)
      const side = this.random.chance(0.5) ? ladder.bids : ladder.asks
      const victim = [...side.values()][this.random.int(0, Math.max(0, side.size - 1))]
      if (victim !== undefined && isLive(victim)) {
        const lots = this.random.int(5, 200)
        this.engine.book(spec).resize(victim, round8(victim.filled + lots * spec.min_trade_amount))
      }
    })
    // A resize alone does not touch the engine's batch: publish it now, or it waits for the next order.
    this.feed.flush(this.engine.book(spec))
  }

  private prune(quotes: Map<number, OrderRecord>, want: ReadonlySet<number>): void {
    for (const [price, order] of quotes) {
      if (!isLive(order)) quotes.delete(price)
      else if (!want.has(price)) {
        this.engine.cancel(order, 'user_request')
        quotes.delete(price)
      }
    }
  }

  private fill(
    spec: InstrumentSpec,
    direction: 'buy' | 'sell',
    quotes: Map<number, OrderRecord>,
    want: ReadonlySet<number>,
  ): void {
    for (const price of want) {
      if (quotes.has(price)) continue
      const { order } = this.engine.place(
        this.makerRequest(
          spec,
          direction,
          price,
          this.random.int(5, 200) * spec.min_trade_amount,
          'good_til_cancelled',
        ),
      )
      if (isLive(order)) quotes.set(price, order)
    }
  }

  /** A synthetic taker hits the best level (sometimes sweeping a second). */
  private takerFlow(spec: InstrumentSpec): void {
    const direction = this.random.chance(0.5) ? 'buy' : 'sell'
    const levels = this.engine.book(spec).levels(direction === 'buy' ? 'sell' : 'buy')
    const reach = levels[this.random.chance(0.2) ? Math.min(1, levels.length - 1) : 0]
    const amount = round8(this.random.int(1, 20) * spec.min_trade_amount)
    if (reach === undefined) return
    this.engine.place(this.makerRequest(spec, direction, reach.price, amount, 'immediate_or_cancel'))
  }

  private makerRequest(
    spec: InstrumentSpec,
    direction: 'buy' | 'sell',
    price: number,
    amount: number,
    timeInForce: NewOrder['timeInForce'],
  ): NewOrder {
    return {
      accountId: MARKET_MAKER_ACCOUNT,
      connectionId: undefined,
      instrument: spec,
      direction,
      type: 'limit',
      timeInForce,
      price,
      amount: round8(amount),
      label: '',
      postOnly: false,
      rejectPostOnly: false,
      reduceOnly: false,
      trigger: undefined,
      triggerPrice: undefined,
    }
  }

  /** Emits `count` single-trade `trades.{instrument}` events; resolves when all are out. */
  burstTrades(spec: InstrumentSpec, count: number): Promise<void> {
    const book = this.engine.book(spec)
    const name = spec.instrument_name
    const channel = `trades.${name}`
    const currency = spec.settlement_currency === 'USDC' ? 'USDC' : spec.base_currency
    return this.chunked(count, (i) => {
      const direction = i % 2 === 0 ? 'buy' : 'sell'
      const price = (direction === 'buy' ? book.best('sell') : book.best('buy'))?.price ?? this.market.mark(spec)
      const amount = round8(((i % 5) + 1) * spec.min_trade_amount)
      const tradeSeq = this.market.recordTrade(spec, price, amount)
      this.sink.publish(channel, [
        {
          trade_seq: tradeSeq,
          trade_id: this.ids.trade(currency),
          timestamp: this.now(),
          tick_direction: this.market.statsOf(name).tickDirection,
          price,
          mark_price: this.market.mark(spec),
          instrument_name: name,
          index_price: this.market.indexOf(spec),
          direction,
          amount,
          contracts: round8(amount / spec.contract_size),
        },
      ])
    })
  }

  /** Emits `count` `book.{instrument}` changes by resizing market-maker quotes; the book stays consistent. */
  burstBookChanges(spec: InstrumentSpec, count: number): Promise<void> {
    const book = this.engine.book(spec)
    const ladder = this.ladder(spec)
    let quotes: OrderRecord[] = []
    return this.chunked(count, (i) => {
      let order = quotes[i % Math.max(1, quotes.length)]
      if (order === undefined || !isLive(order)) {
        // Timer steps between chunks may have filled or moved quotes: take the live ones again.
        quotes = [...ladder.bids.values(), ...ladder.asks.values()].filter(isLive)
        order = quotes[i % Math.max(1, quotes.length)]
      }
      if (order === undefined) {
        // An empty ladder: quoting it afresh is itself one change.
        this.requote(spec)
        return
      }
      // A size different from the current one, so every step is a real `change`.
      let size = round8((1 + (i % 7)) * spec.min_trade_amount)
      if (size === remainingOf(order)) size = round8(size + spec.min_trade_amount)
      book.resize(order, round8(order.filled + size))
      this.feed.flush(book)
    })
  }

  private chunked(count: number, emit: (i: number) => void): Promise<void> {
    return new Promise((resolve) => {
      const burst: { handle: ReturnType<typeof setImmediate> | undefined; done: () => void } = {
        handle: undefined,
        done: resolve,
      }
      let i = 0
      const run = (): void => {
        burst.handle = undefined
        const end = Math.min(count, i + BURST_CHUNK)
        for (; i < end; i++) emit(i)
        if (i < count) {
          burst.handle = setImmediate(run)
        } else {
          this.bursts.delete(burst)
          resolve()
        }
      }
      this.bursts.add(burst)
      run()
    })
  }
}
