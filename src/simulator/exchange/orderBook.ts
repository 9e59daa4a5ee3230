/**
 * One instrument's limit order book with price-time priority, and its incremental feed:
 * every level touched since the last flush becomes one `new`/`change`/`delete` entry of a
 * `book.{instrument}` change, chained by `change_id`/`prev_change_id`.
 */
import type { BookChange, BookLevelChange } from '../../protocol/types.js'
import { ceilToStep, floorToStep, round8 } from './numbers.js'
import { type OrderRecord, shownOf } from './orderRecord.js'

/** One price level: its resting orders in time priority and their total remaining amount. */
export interface Level {
  readonly price: number
  total: number
  readonly orders: OrderRecord[]
}

/** Book side, named by the direction of the orders resting on it. */
export type Side = 'buy' | 'sell'

/** Called for each match with the resting order, the amount traded and the level price. */
export type FillHandler = (maker: OrderRecord, amount: number, price: number) => void

class BookSide {
  /** Best first: bids descending, asks ascending. */
  readonly levels: Level[] = []
  readonly byPrice = new Map<number, Level>()
  /** Level amounts as subscribers last saw them. */
  readonly published = new Map<number, number>()
  readonly dirty = new Set<number>()

  constructor(readonly descending: boolean) {}

  /** True when `a` is a better price than `b` on this side. */
  better(a: number, b: number): boolean {
    return this.descending ? a > b : a < b
  }

  level(price: number): Level {
    let level = this.byPrice.get(price)
    if (level !== undefined) return level
    level = { price, total: 0, orders: [] }
    let lo = 0
    let hi = this.levels.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.better((this.levels[mid] as Level).price, price)) lo = mid + 1
      else hi = mid
    }
    this.levels.splice(lo, 0, level)
    this.byPrice.set(price, level)
    return level
  }

  dropIfEmpty(level: Level): void {
    if (level.orders.length > 0) return
    this.byPrice.delete(level.price)
    const at = this.levels.indexOf(level)
    if (at >= 0) this.levels.splice(at, 1)
  }

  changes(): BookLevelChange[] {
    const out: BookLevelChange[] = []
    for (const price of this.dirty) {
      const now = this.byPrice.get(price)?.total ?? 0
      const before = this.published.get(price) ?? 0
      if (now === before) continue
      if (now === 0) {
        out.push(['delete', price, 0])
        this.published.delete(price)
      } else {
        out.push([before === 0 ? 'new' : 'change', price, now])
        this.published.set(price, now)
      }
    }
    this.dirty.clear()
    return out
  }
}

/** A price-time priority book for one instrument. */
export class OrderBook {
  private readonly bids = new BookSide(true)
  private readonly asks = new BookSide(false)
  /** The `change_id` of the latest change (published or deliberately skipped). */
  changeId: number

  constructor(
    readonly instrumentName: string,
    firstChangeId: number,
  ) {
    this.changeId = firstChangeId
  }

  private side(side: Side): BookSide {
    return side === 'buy' ? this.bids : this.asks
  }

  /** Best level of a side, if any. */
  best(side: Side): Level | undefined {
    return this.side(side).levels[0]
  }

  /** Levels of a side, best first (read-only view). */
  levels(side: Side): readonly Level[] {
    return this.side(side).levels
  }

  /** Rests an order at its price behind the orders already there. */
  add(order: OrderRecord): void {
    const side = this.side(order.direction)
    const level = side.level(order.price)
    level.orders.push(order)
    level.total = round8(level.total + shownOf(order))
    side.dirty.add(level.price)
  }

  /** Takes a resting order out of the book; false when it was not resting. */
  remove(order: OrderRecord): boolean {
    const side = this.side(order.direction)
    const level = side.byPrice.get(order.price)
    if (level === undefined) return false
    const at = level.orders.indexOf(order)
    if (at < 0) return false
    level.orders.splice(at, 1)
    level.total = level.orders.length === 0 ? 0 : round8(level.total - shownOf(order))
    side.dirty.add(level.price)
    side.dropIfEmpty(level)
    return true
  }

  /** Adjusts a resting order's amount in place, keeping its time priority (a reduce, or a synthetic amend). */
  resize(order: OrderRecord, newAmount: number): void {
    const side = this.side(order.direction)
    const level = side.byPrice.get(order.price)
    if (level === undefined) return
    const before = shownOf(order)
    order.amount = newAmount
    level.total = round8(level.total + shownOf(order) - before)
    side.dirty.add(level.price)
  }

  /** Amount resting on `side` at prices at least as good (for the taker) as `limit`. */
  liquidity(side: Side, limit: number): number {
    const book = this.side(side)
    let sum = 0
    for (const level of book.levels) {
      if (book.better(limit, level.price)) break
      sum += level.total
    }
    return round8(sum)
  }

  /**
   * Matches an incoming order of `direction` up to `limit` for `amount`, oldest order first at
   * each level, best level first. `onFill` must add the traded amount to the maker's `filled`.
   * Returns the amount traded.
   */
  match(direction: Side, limit: number, amount: number, onFill: FillHandler): number {
    const book = this.side(direction === 'buy' ? 'sell' : 'buy')
    let left = amount
    while (left > 0) {
      const level = book.levels[0]
      if (level === undefined || book.better(limit, level.price)) break
      while (left > 0 && level.orders.length > 0) {
        const maker = level.orders[0] as OrderRecord
        const before = shownOf(maker)
        // An iceberg trades its hidden part too; the book then shows the next display slice.
        const qty = Math.min(left, round8(maker.amount - maker.filled))
        onFill(maker, qty, level.price)
        left = round8(left - qty)
        level.total = round8(level.total + shownOf(maker) - before)
        if (round8(maker.amount - maker.filled) <= 0) level.orders.shift()
      }
      if (level.orders.length === 0) level.total = 0
      book.dirty.add(level.price)
      book.dropIfEmpty(level)
    }
    return round8(amount - left)
  }

  /** True when levels changed since the last flush. */
  get dirty(): boolean {
    return this.bids.dirty.size > 0 || this.asks.dirty.size > 0
  }

  /**
   * The change subscribers have not seen yet, advancing `change_id` by `step`; undefined when
   * the touched levels ended where they were.
   */
  flush(timestamp: number, step: number): BookChange | undefined {
    const bids = this.bids.changes()
    const asks = this.asks.changes()
    if (bids.length === 0 && asks.length === 0) return undefined
    const prev = this.changeId
    this.changeId = prev + step
    return {
      type: 'change',
      timestamp,
      prev_change_id: prev,
      instrument_name: this.instrumentName,
      change_id: this.changeId,
      bids,
      asks,
    }
  }

  /** The full book as a `snapshot` notification, chaining from the latest change. */
  snapshot(timestamp: number): BookChange {
    return {
      type: 'snapshot',
      timestamp,
      instrument_name: this.instrumentName,
      change_id: this.changeId,
      bids: this.bids.levels.map((l): BookLevelChange => ['new', l.price, l.total]),
      asks: this.asks.levels.map((l): BookLevelChange => ['new', l.price, l.total]),
    }
  }

  /** Up to `depth` aggregated `[price, amount]` levels of a side, best first. */
  top(side: Side, depth: number): [number, number][] {
    const levels = this.side(side).levels
    const n = Math.min(depth, levels.length)
    const out: [number, number][] = new Array(n)
    for (let i = 0; i < n; i++) {
      const level = levels[i] as Level
      out[i] = [level.price, level.total]
    }
    return out
  }

  /** Levels bucketed to multiples of `group` (bids down, asks up), best first, at most `depth`. */
  grouped(side: Side, group: number, depth: number): [number, number][] {
    const out: [number, number][] = []
    for (const level of this.side(side).levels) {
      const price = side === 'buy' ? floorToStep(level.price, group) : ceilToStep(level.price, group)
      const last = out[out.length - 1]
      if (last !== undefined && last[0] === price) last[1] = round8(last[1] + level.total)
      else if (out.length === depth) break
      else out.push([price, level.total])
    }
    return out
  }
}
