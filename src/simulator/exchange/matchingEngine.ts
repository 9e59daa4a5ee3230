/**
 * The matching engine: accepts, matches, rests, edits, triggers and cancels orders on the
 * instrument books, books fills in the ledgers and reports every change — public trades and
 * book changes for everyone, `user.orders/trades/changes/portfolio` for the accounts involved.
 * The market maker (account 0) trades through the same engine but has no ledger and no events.
 */
import type { Order } from '../../protocol/types.js'
import type { EventSink } from '../contract.js'
import { invalidParams, SimRpcError } from '../contract.js'
import { marginFor, marginsOf, portfolioWire, positionWire } from './accountViews.js'
import type { BookFeed } from './bookFeed.js'
import { type InstrumentSpec, tickAt } from './instruments.js'
import type { Ledger } from './ledger.js'
import type { Market } from './market.js'
import { clean, floorToStep, round8 } from './numbers.js'
import { OrderBook } from './orderBook.js'
import {
  isLive,
  isMarketType,
  isTriggerType,
  MARKET_MAKER_ACCOUNT,
  type OrderIds,
  type OrderRecord,
  type OrderType,
  orderWire,
  remainingOf,
  type TimeInForce,
  type TriggerSource,
  touch,
  type WireOrder,
} from './orderRecord.js'
import { fires, trail } from './triggers.js'

/** A validated order request. */
export interface NewOrder {
  accountId: number
  connectionId: number | undefined
  instrument: InstrumentSpec
  direction: 'buy' | 'sell'
  type: OrderType
  timeInForce: TimeInForce
  /** Required for limit and stop_limit; ignored for market types. */
  price: number | undefined
  amount: number
  label: string
  postOnly: boolean
  rejectPostOnly: boolean
  reduceOnly: boolean
  trigger: TriggerSource | undefined
  triggerPrice: number | undefined
  /** What only some orders carry: trailing offset, iceberg display, MMP, quote, a pending link. */
  extras?: OrderExtras
}

/** The less common parts of an order request. */
export interface OrderExtras {
  triggerOffset?: number
  displayAmount?: number
  originalType?: 'market_limit'
  advanced?: 'usd'
  mmp?: boolean
  quote?: { mmpGroup: string; quoteSetId: string; quoteId: string }
  /** A secondary of an OTO/OTOCO: recorded as untriggered, placed when its primary fills. */
  pendingSecondary?: boolean
}

/** Told about fills and closings of users' orders (linked orders, MMP); it acts through {@link MatchingEngine.defer}. */
export interface OrderObserver {
  filled(order: OrderRecord, amount: number): void
  closed(order: OrderRecord): void
}

/** Requested changes of `private/edit`. */
export interface OrderEdit {
  amount: number
  price: number | undefined
  postOnly: boolean | undefined
  rejectPostOnly: boolean | undefined
  reduceOnly: boolean | undefined
  triggerPrice: number | undefined
}

/** Result of buy, sell and edit. */
export interface OrderResultWire {
  order: WireOrder
  trades: Record<string, unknown>[]
}

/** What one operation did to one account, published when the operation ends. */
interface AccountChanges {
  readonly orders: Set<OrderRecord>
  readonly trades: Record<string, unknown>[]
  readonly instruments: Set<InstrumentSpec>
  filled: boolean
}

/** How many finished orders an account keeps for `get_order_state` and label lookups. */
const FINISHED_ORDERS_KEPT = 10_000
/** How many of its latest trades an account keeps for `get_user_trades_by_*`. */
const USER_TRADES_KEPT = 10_000

export class MatchingEngine {
  readonly books = new Map<string, OrderBook>()
  private readonly byId = new Map<string, OrderRecord>()
  private readonly history = new Map<number, OrderRecord[]>()
  private readonly live = new Map<number, Set<OrderRecord>>()
  private readonly untriggered = new Set<OrderRecord>()
  private readonly touchedBooks = new Set<OrderBook>()
  private readonly pending = new Map<number, AccountChanges>()
  private readonly publicTrades = new Map<string, Record<string, unknown>[]>()
  private readonly userTrades = new Map<number, Record<string, unknown>[]>()
  private readonly deferred: Array<() => void> = []
  private readonly observers: OrderObserver[] = []
  private tradedInBatch = false
  private depth = 0
  /** Told, after an operation published, of each instrument whose book or trades it changed. */
  onChanged: ((instrumentName: string) => void) | undefined

  constructor(
    instruments: readonly InstrumentSpec[],
    private readonly market: Market,
    private readonly ledger: Ledger,
    private readonly ids: OrderIds,
    private readonly feed: BookFeed,
    private readonly sink: EventSink,
    private readonly now: () => number,
    private readonly firstChangeId: (name: string) => number,
  ) {
    for (const spec of instruments) this.book(spec)
  }

  /** The book of an instrument, created empty for one listed since the engine started. */
  book(spec: InstrumentSpec): OrderBook {
    let book = this.books.get(spec.instrument_name)
    if (book === undefined) {
      book = new OrderBook(spec.instrument_name, this.firstChangeId(spec.instrument_name))
      this.books.set(spec.instrument_name, book)
    }
    return book
  }

  /** Cancels every live order on an instrument, of every account (the instrument expired). */
  cancelInstrument(spec: InstrumentSpec, reason: NonNullable<Order['cancel_reason']>): void {
    this.batch(() => {
      for (const accountId of [...this.live.keys()]) this.cancelWhere(accountId, (o) => o.instrument === spec, reason)
    })
  }

  /** Any order by id (users' orders of any state, market-maker orders while they rest). */
  order(id: string): OrderRecord | undefined {
    return this.byId.get(id)
  }

  /** An account's open and untriggered orders, oldest first. */
  liveOrders(accountId: number): Iterable<OrderRecord> {
    return this.live.get(accountId) ?? []
  }

  /** Every order an account placed that is still remembered, oldest first. */
  ordersOf(accountId: number): readonly OrderRecord[] {
    return this.history.get(accountId) ?? []
  }

  /** An account's latest trades, oldest first. */
  tradesOf(accountId: number): readonly Record<string, unknown>[] {
    return this.userTrades.get(accountId) ?? []
  }

  /**
   * Runs `fn` as one operation: book changes, public trades and account events are published
   * once, when the outermost operation ends.
   */
  batch<T>(fn: () => T): T {
    this.depth++
    try {
      return fn()
    } finally {
      if (this.depth === 1) this.drain()
      this.depth--
      if (this.depth === 0) this.publish()
    }
  }

  /** Registers an observer of users' fills and closings. */
  observe(observer: OrderObserver): void {
    this.observers.push(observer)
  }

  /**
   * Runs `action` once the current operation's matching is done, still inside it (so its events
   * go out with the operation's). Observers use it: they must not touch a book mid-match.
   */
  defer(action: () => void): void {
    this.deferred.push(action)
  }

  /** Deferred actions, then last-price triggers if the operation traded. A failing action is dropped. */
  private drain(): void {
    for (let guard = 0; guard < 10_000; guard++) {
      const action = this.deferred.shift()
      if (action !== undefined) {
        try {
          action()
        } catch {
          // A linked order the exchange refuses (e.g. funds) is simply not placed.
        }
        continue
      }
      if (!this.tradedInBatch || this.untriggered.size === 0) break
      this.tradedInBatch = false
      this.checkTriggers()
    }
    this.tradedInBatch = false
  }

  /** Places an order; throws Deribit errors for orders the exchange would refuse. */
  submit(request: NewOrder): OrderResultWire {
    return this.batch(() => {
      const { order, trades } = this.place(request)
      return { order: orderWire(order), trades }
    })
  }

  /** Places an order and returns its record (the generator's path: no wire object built). */
  place(request: NewOrder): { order: OrderRecord; trades: Record<string, unknown>[] } {
    return this.batch(() => {
      const spec = request.instrument
      const now = this.now()
      const user = request.accountId !== MARKET_MAKER_ACCOUNT
      const extras = request.extras ?? {}
      const pending = extras.pendingSecondary === true
      const trigger = isTriggerType(request.type)
      let amount = request.amount
      let price = isMarketType(request.type)
        ? this.marketPrice(spec, request.direction)
        : this.clampPrice(spec, request.direction, request.price as number)
      if (request.reduceOnly && user && !trigger && !pending)
        amount = this.reducibleAmount(request.accountId, spec, request.direction, amount)
      if (request.postOnly && request.type === 'limit' && !pending)
        price = this.postOnlyPrice(spec, request.direction, price, request.rejectPostOnly)
      if (user && !request.reduceOnly && !pending)
        this.checkFunds(request.accountId, spec, request.direction, amount, price)
      const order: OrderRecord = {
        id: this.ids.order(spec.settlement_currency === 'USDC' ? 'USDC' : spec.base_currency, trigger),
        accountId: request.accountId,
        connectionId: request.connectionId,
        instrument: spec,
        direction: request.direction,
        type: request.type,
        timeInForce: request.timeInForce,
        price,
        amount,
        filled: 0,
        filledNotional: 0,
        state: trigger ? 'untriggered' : 'open',
        label: request.label,
        postOnly: request.postOnly,
        rejectPostOnly: request.rejectPostOnly,
        reduceOnly: request.reduceOnly,
        trigger: request.trigger,
        triggerPrice: request.triggerPrice,
        triggered: false,
        createdMs: now,
        updatedMs: now,
        replaced: false,
        cancelReason: undefined,
        commission: 0,
        profitLoss: 0,
        triggerOffset: extras.triggerOffset,
        trailReference: undefined,
        displayAmount: extras.displayAmount,
        originalType: extras.originalType,
        advanced: extras.advanced,
        link: undefined,
        mmp: extras.mmp ?? false,
        quote: extras.quote,
        mmpCancelled: false,
      }
      if (pending) order.state = 'untriggered'
      if (order.type === 'trailing_stop') trail(order, this.triggerReference(order))
      this.remember(order)
      const trades = trigger || pending ? [] : this.execute(order)
      if (trigger && !pending) this.untriggered.add(order)
      this.changed(order)
      return { order, trades }
    })
  }

  /** Cancels a live order. */
  cancel(order: OrderRecord, reason: NonNullable<Order['cancel_reason']>): WireOrder {
    return this.batch(() => {
      if (!isLive(order)) throw new SimRpcError(11044, 'not_open_order')
      if (order.state === 'open') this.book(order.instrument).remove(order)
      this.touchedBooks.add(this.book(order.instrument))
      this.untriggered.delete(order)
      order.state = 'cancelled'
      order.cancelReason = reason
      touch(order, this.now())
      this.finish(order)
      this.changed(order)
      return orderWire(order)
    })
  }

  /** Cancels every live order of an account that `match` selects; returns them. */
  cancelWhere(
    accountId: number,
    match: (order: OrderRecord) => boolean,
    reason: NonNullable<Order['cancel_reason']> = 'user_request',
  ): OrderRecord[] {
    return this.batch(() => {
      const chosen = [...this.liveOrders(accountId)].filter(match)
      for (const order of chosen) this.cancel(order, reason)
      return chosen
    })
  }

  /** Cancels the live orders placed over a connection, across accounts (cancel-on-disconnect). */
  cancelConnection(connectionId: number): number {
    return this.batch(() => {
      let count = 0
      for (const accountId of this.live.keys()) {
        if (accountId === MARKET_MAKER_ACCOUNT) continue
        count += this.cancelWhere(accountId, (o) => o.connectionId === connectionId, 'cancel_on_disconnect').length
      }
      return count
    })
  }

  /** Edits a live order; losing time priority when its price changes or its amount grows. */
  edit(order: OrderRecord, change: OrderEdit): OrderResultWire {
    return this.batch(() => {
      if (!isLive(order)) throw new SimRpcError(11044, 'not_open_order')
      const spec = order.instrument
      if (change.amount < order.filled) throw invalidParams('amount', 'must not be less than filled amount')
      if (change.postOnly !== undefined) order.postOnly = change.postOnly
      if (change.rejectPostOnly !== undefined) order.rejectPostOnly = change.rejectPostOnly
      if (change.reduceOnly !== undefined) order.reduceOnly = change.reduceOnly
      if (change.triggerPrice !== undefined && order.state === 'untriggered') order.triggerPrice = change.triggerPrice
      let price = change.price === undefined ? order.price : this.clampPrice(spec, order.direction, change.price)
      if (isMarketType(order.type)) price = order.price
      const book = this.book(spec)
      let trades: Record<string, unknown>[] = []
      if (order.state === 'untriggered') {
        order.amount = change.amount
        order.price = price
      } else {
        if (order.postOnly && price !== order.price)
          price = this.postOnlyPrice(spec, order.direction, price, order.rejectPostOnly)
        if (order.accountId !== MARKET_MAKER_ACCOUNT && !order.reduceOnly && change.amount > order.amount) {
          this.checkFunds(order.accountId, spec, order.direction, change.amount - order.amount, price)
        }
        this.touchedBooks.add(book)
        if (price === order.price && change.amount <= order.amount) {
          book.resize(order, change.amount)
          if (remainingOf(order) <= 0) {
            book.remove(order)
            order.state = 'filled'
            this.finish(order)
          }
        } else {
          book.remove(order)
          order.price = price
          order.amount = change.amount
          trades = this.execute(order)
        }
      }
      order.replaced = true
      touch(order, this.now())
      this.changed(order)
      return { order: orderWire(order), trades }
    })
  }

  /** Fires trigger orders whose price has been reached; trailing stops follow the price first. */
  checkTriggers(): void {
    if (this.untriggered.size === 0) return
    this.batch(() => {
      // Every order sees the prices as they were when the check began; trades it causes are
      // seen by the next check, which the engine runs after them.
      const refs = new Map([...this.untriggered].map((o) => [o, this.triggerReference(o)]))
      for (const [order, ref] of refs) {
        if (!this.untriggered.has(order)) continue
        trail(order, ref)
        if (!fires(order, ref)) continue
        this.untriggered.delete(order)
        order.triggered = true
        order.state = 'open'
        order.price = isMarketType(order.type)
          ? this.marketPrice(order.instrument, order.direction)
          : this.clampPrice(order.instrument, order.direction, order.price)
        touch(order, this.now())
        this.execute(order)
        this.changed(order)
      }
    })
  }

  /**
   * Places a pending secondary order of a linked group with `amount`: a plain order goes to the
   * book (and may trade), a trigger order starts watching its price.
   */
  activate(order: OrderRecord, amount: number): void {
    this.batch(() => {
      if (order.state !== 'untriggered' || this.untriggered.has(order)) return
      order.amount = amount
      touch(order, this.now())
      if (isTriggerType(order.type)) {
        if (order.type === 'trailing_stop') {
          order.trailReference = undefined
          trail(order, this.triggerReference(order))
        }
        this.untriggered.add(order)
      } else {
        if (isMarketType(order.type)) order.price = this.marketPrice(order.instrument, order.direction)
        this.execute(order)
      }
      this.changed(order)
    })
  }

  /** True while an order waits as a pending secondary (recorded, neither resting nor watching). */
  isPendingSecondary(order: OrderRecord): boolean {
    return order.state === 'untriggered' && !this.untriggered.has(order)
  }

  /** Matches an order that is `open`, then rests, fills or cancels what is left. Returns the user's trades. */
  private execute(order: OrderRecord): Record<string, unknown>[] {
    const spec = order.instrument
    const book = this.book(spec)
    const opposite = order.direction === 'buy' ? 'sell' : 'buy'
    const immediate =
      isMarketType(order.type) || order.timeInForce === 'immediate_or_cancel' || order.timeInForce === 'fill_or_kill'
    const userTrades: Record<string, unknown>[] = []
    if (order.accountId !== MARKET_MAKER_ACCOUNT && !this.preventSelfTrade(order)) {
      order.state = 'cancelled'
      order.cancelReason = 'user_request'
      this.finish(order)
      return userTrades
    }
    if (order.timeInForce === 'fill_or_kill' && book.liquidity(opposite, order.price) < remainingOf(order)) {
      order.state = 'cancelled'
      this.finish(order)
      return userTrades
    }
    book.match(order.direction, order.price, remainingOf(order), (maker, amount, price) => {
      const trade = this.fill(order, maker, amount, price)
      if (trade !== undefined) userTrades.push(trade)
    })
    this.touchedBooks.add(book)
    if (remainingOf(order) <= 0) {
      order.state = 'filled'
      this.finish(order)
    } else if (immediate) {
      order.state = 'cancelled'
      this.finish(order)
    } else {
      order.state = 'open'
      book.add(order)
    }
    return userTrades
  }

  /** Books one match between the incoming `taker` and the resting `maker`; returns the taker's user trade. */
  private fill(
    taker: OrderRecord,
    maker: OrderRecord,
    amount: number,
    price: number,
  ): Record<string, unknown> | undefined {
    const spec = taker.instrument
    const now = this.now()
    for (const order of [maker, taker]) {
      order.filled = round8(order.filled + amount)
      order.filledNotional += price * amount
      order.state = remainingOf(order) <= 0 ? 'filled' : 'open'
    }
    touch(maker, now)
    if (maker.state === 'filled') this.finish(maker)
    const tradeSeq = this.market.recordTrade(spec, price, amount)
    const stats = this.market.statsOf(spec.instrument_name)
    const tradeId = this.ids.trade(spec.settlement_currency === 'USDC' ? 'USDC' : spec.base_currency)
    const mark = this.market.mark(spec)
    const index = this.market.indexOf(spec)
    const contracts = round8(amount / spec.contract_size)
    const publicTrade: Record<string, unknown> = {
      trade_seq: tradeSeq,
      trade_id: tradeId,
      timestamp: now,
      tick_direction: stats.tickDirection,
      price,
      mark_price: mark,
      instrument_name: spec.instrument_name,
      index_price: index,
      direction: taker.direction,
      amount,
      contracts,
    }
    let list = this.publicTrades.get(spec.instrument_name)
    if (list === undefined) {
      list = []
      this.publicTrades.set(spec.instrument_name, list)
    }
    list.push(publicTrade)
    let takerTrade: Record<string, unknown> | undefined
    for (const order of [maker, taker]) {
      if (order.accountId === MARKET_MAKER_ACCOUNT) continue
      const isMaker = order === maker
      const account = this.ledger.get(order.accountId)
      const booking = this.ledger.applyFill(account, spec, order.direction, amount, price, isMaker)
      order.commission = round8(order.commission + booking.fee)
      order.profitLoss = round8(order.profitLoss + booking.profitLoss)
      const userTrade: Record<string, unknown> = {
        ...publicTrade,
        direction: order.direction,
        state: order.state,
        reduce_only: order.reduceOnly,
        post_only: order.postOnly,
        order_type: order.type,
        order_id: order.id,
        matching_id: null,
        liquidity: isMaker ? 'M' : 'T',
        label: order.label,
        fee_currency: spec.settlement_currency,
        fee: booking.fee,
        profit_loss: booking.profitLoss,
        api: true,
      }
      let kept = this.userTrades.get(order.accountId)
      if (kept === undefined) {
        kept = []
        this.userTrades.set(order.accountId, kept)
      }
      kept.push(userTrade)
      if (kept.length > USER_TRADES_KEPT * 2) kept.splice(0, kept.length - USER_TRADES_KEPT)
      const changes = this.changesOf(order.accountId)
      changes.trades.push(userTrade)
      changes.orders.add(order)
      changes.instruments.add(spec)
      changes.filled = true
      if (!isMaker) takerTrade = userTrade
      for (const observer of this.observers) observer.filled(order, amount)
    }
    this.tradedInBatch = true
    return takerTrade
  }

  /** Records that an order changed, for the events published when the operation ends. */
  private changed(order: OrderRecord): void {
    if (order.accountId === MARKET_MAKER_ACCOUNT) return
    const changes = this.changesOf(order.accountId)
    changes.orders.add(order)
    changes.instruments.add(order.instrument)
  }

  private changesOf(accountId: number): AccountChanges {
    let changes = this.pending.get(accountId)
    if (changes === undefined) {
      changes = { orders: new Set(), trades: [], instruments: new Set(), filled: false }
      this.pending.set(accountId, changes)
    }
    return changes
  }

  private remember(order: OrderRecord): void {
    this.byId.set(order.id, order)
    let live = this.live.get(order.accountId)
    if (live === undefined) {
      live = new Set()
      this.live.set(order.accountId, live)
    }
    live.add(order)
    if (order.accountId === MARKET_MAKER_ACCOUNT) return
    let history = this.history.get(order.accountId)
    if (history === undefined) {
      history = []
      this.history.set(order.accountId, history)
    }
    history.push(order)
    if (history.length > FINISHED_ORDERS_KEPT * 2) this.forgetFinished(history)
  }

  private forgetFinished(history: OrderRecord[]): void {
    let drop = history.length - FINISHED_ORDERS_KEPT
    const kept = history.filter((o) => {
      if (drop > 0 && !isLive(o)) {
        drop--
        this.byId.delete(o.id)
        return false
      }
      return true
    })
    history.splice(0, history.length, ...kept)
  }

  /** An order left the live set (filled or cancelled). */
  private finish(order: OrderRecord): void {
    this.live.get(order.accountId)?.delete(order)
    if (order.accountId === MARKET_MAKER_ACCOUNT) {
      this.byId.delete(order.id)
      return
    }
    for (const observer of this.observers) observer.closed(order)
  }

  /** Publishes book changes, public trades and account events gathered by the operation. */
  private publish(): void {
    const changed = this.onChanged === undefined ? undefined : new Set<string>()
    for (const book of this.touchedBooks) {
      this.feed.flush(book)
      changed?.add(book.instrumentName)
    }
    this.touchedBooks.clear()
    for (const [name, trades] of this.publicTrades) {
      this.sink.publish(`trades.${name}`, trades)
      changed?.add(name)
    }
    this.publicTrades.clear()
    if (changed !== undefined) for (const name of changed) this.onChanged?.(name)
    if (this.pending.size === 0) return
    const pending = [...this.pending]
    this.pending.clear()
    for (const [accountId, changes] of pending) this.publishAccount(accountId, changes)
  }

  private publishAccount(accountId: number, changes: AccountChanges): void {
    const account = this.ledger.get(accountId)
    for (const spec of changes.instruments) {
      const name = spec.instrument_name
      const orders: WireOrder[] = []
      for (const order of changes.orders) {
        if (order.instrument !== spec) continue
        const wire = orderWire(order)
        orders.push(wire)
        this.sink.publishUser(accountId, 'orders', name, wire)
      }
      const trades = changes.trades.filter((t) => t.instrument_name === name)
      if (trades.length > 0) this.sink.publishUser(accountId, 'trades', name, trades)
      const position = account.positions.get(name)
      const positions = position === undefined ? [] : [positionWire(position, this.market)]
      this.sink.publishUser(accountId, 'changes', name, { instrument_name: name, orders, positions, trades })
    }
    if (!changes.filled) return
    const currencies = new Set([...changes.instruments].map((s) => s.settlement_currency))
    for (const currency of currencies) {
      this.sink.publishPortfolio(
        accountId,
        currency,
        portfolioWire(account, currency, this.market, this.liveOrders(accountId)),
      )
    }
  }

  /** The protective price a market order matches up to: the edge of the price band. */
  private marketPrice(spec: InstrumentSpec, direction: 'buy' | 'sell'): number {
    const band = this.market.band(spec, tickAt(spec, this.market.mark(spec)))
    return direction === 'buy' ? band.max : band.min
  }

  /**
   * Self-trade prevention before `order` matches: its own resting orders it would cross (or,
   * when extended, those of its main account's whole tree) are cancelled (`cancel_maker`), or
   * the incoming order is (`reject_taker`, answered false).
   */
  private preventSelfTrade(order: OrderRecord): boolean {
    const account = this.ledger.get(order.accountId)
    const { mode, extendedToSubaccounts } = account.restrictions.selfTrading
    const ids = extendedToSubaccounts
      ? [account.mainAccountId, ...this.ledger.subaccountsOf(account.mainAccountId).map((a) => a.id)]
      : [order.accountId]
    const crossed: OrderRecord[] = []
    for (const id of ids) {
      for (const o of this.liveOrders(id)) {
        if (o.state !== 'open' || o === order || o.instrument !== order.instrument || o.direction === order.direction)
          continue
        if (order.direction === 'buy' ? o.price <= order.price : o.price >= order.price) crossed.push(o)
      }
    }
    if (crossed.length === 0) return true
    if (mode === 'reject_taker') return false
    for (const o of crossed) this.cancel(o, 'user_request')
    return true
  }

  /** Deribit clamps a buy above the band's max_price to it, and a sell below min_price to that. */
  private clampPrice(spec: InstrumentSpec, direction: 'buy' | 'sell', price: number): number {
    const band = this.market.band(spec, tickAt(spec, this.market.mark(spec)))
    return direction === 'buy' ? Math.min(price, band.max) : Math.max(price, band.min)
  }

  /** A post-only price that would cross moves to one tick inside the spread, or is rejected. */
  private postOnlyPrice(spec: InstrumentSpec, direction: 'buy' | 'sell', price: number, reject: boolean): number {
    const best = this.book(spec).best(direction === 'buy' ? 'sell' : 'buy')
    if (best === undefined) return price
    const crosses = direction === 'buy' ? price >= best.price : price <= best.price
    if (!crosses) return price
    if (reject) throw new SimRpcError(11054, 'post_only_reject')
    const tick = tickAt(spec, best.price)
    const moved = clean(direction === 'buy' ? best.price - tick : best.price + tick)
    if (moved <= 0) throw new SimRpcError(11054, 'post_only_reject')
    return moved
  }

  /** A reduce-only order is cut to the position it can close; with nothing to close it is refused. */
  private reducibleAmount(accountId: number, spec: InstrumentSpec, direction: 'buy' | 'sell', amount: number): number {
    const size = this.ledger.get(accountId).positions.get(spec.instrument_name)?.size ?? 0
    const closable = direction === 'buy' ? Math.max(0, -size) : Math.max(0, size)
    const allowed = floorToStep(Math.min(amount, closable), spec.min_trade_amount)
    if (allowed <= 0) throw invalidParams('reduce_only', 'order would not reduce the position')
    return allowed
  }

  /** Refuses an order whose margin exceeds the account's available funds (10009). */
  private checkFunds(
    accountId: number,
    spec: InstrumentSpec,
    direction: 'buy' | 'sell',
    amount: number,
    price: number,
  ): void {
    const account = this.ledger.get(accountId)
    const size = account.positions.get(spec.instrument_name)?.size ?? 0
    const offsets = direction === 'buy' ? size < 0 : size > 0
    const exposed = offsets ? Math.max(0, amount - Math.abs(size)) : amount
    const need = marginFor(spec, direction, exposed, price)
    if (need === 0) return
    const { availableFunds } = marginsOf(account, spec.settlement_currency, this.market, this.liveOrders(accountId))
    if (need > availableFunds) throw new SimRpcError(10009, 'not_enough_funds')
  }

  private triggerReference(order: OrderRecord): number {
    const spec = order.instrument
    if (order.trigger === 'index_price') return this.market.indexOf(spec)
    if (order.trigger === 'last_price')
      return this.market.statsOf(spec.instrument_name).lastPrice ?? this.market.mark(spec)
    return this.market.mark(spec)
  }
}
