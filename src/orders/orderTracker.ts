import type { Order } from '../protocol/types.js'
import { TypedEmitter } from '../session/typedEmitter.js'
import { EventSource } from '../transport/eventSource.js'
import { isOpenOrder, isOrder, stateRank } from './orderShape.js'

/** Closed orders kept for lookups; open orders are always kept. */
export const DEFAULT_MAX_CLOSED_ORDERS = 10_000
/** `cancel_reason` set on an order the exchange no longer knows after a reconcile. */
export const RECONCILE_NOT_FOUND_REASON = 'not_found_on_reconcile'

/**
 * An order as the tracker holds it: the exchange's {@link Order}, whose `cancel_reason` may also be
 * {@link RECONCILE_NOT_FOUND_REASON}, the one value the tracker writes itself.
 */
export type TrackedOrder = Omit<Order, 'cancel_reason'> & {
  cancel_reason?: NonNullable<Order['cancel_reason']> | typeof RECONCILE_NOT_FOUND_REASON
}

/** Events of {@link OrderTracker}. */
export interface OrderTrackerEvents {
  /** An order was added or changed (never for an ignored duplicate). */
  order: [order: TrackedOrder, subjectId: number | undefined]
}

/** Options of {@link OrderTracker}. */
export interface OrderTrackerOptions {
  /** Closed orders kept for lookups (oldest evicted first); open orders are always kept. @default DEFAULT_MAX_CLOSED_ORDERS (10000) */
  maxClosedOrders?: number
  /** Receives errors thrown by `order` listeners. */
  onListenerError?: (error: unknown) => void
}

/** Result of reconciling an {@link OrderTracker} with the exchange's open orders. */
export interface ReconcileResult {
  /** Orders on the exchange's list the tracker did not hold. */
  added: number
  /** Held orders the exchange's list (or a state lookup) brought up to date. */
  updated: number
  /** Orders the tracker held open that turned out closed (or unknown to the exchange). */
  closed: number
}

/**
 * What only the client may do to an {@link OrderTracker}: feed it updates and reconcile it with the
 * exchange. Reached through {@link trackerInternals}, which the package entry does not export, so
 * `client.orders` cannot be fed a made-up order or closed by hand.
 * @internal
 */
export interface OrderTrackerInternals {
  /**
   * Records an order update for `subjectId` (the account it belongs to; undefined keeps
   * what is known). Returns what happened; malformed input is `'ignored'`, never thrown.
   */
  apply(order: TrackedOrder, subjectId: number | undefined): 'added' | 'updated' | 'ignored'
  /** Reconciles with the exchange's open orders of `subjectId` (see the method's own comment). */
  reconcile(
    subjectId: number | undefined,
    openOnExchange: readonly TrackedOrder[],
    fetchState: (orderId: string) => Promise<TrackedOrder | undefined>,
    options?: { only?: (order: TrackedOrder) => boolean },
  ): Promise<ReconcileResult>
  /** Applies an open-order list; returns how many orders changed and the held ones it lacks. */
  applyOpenList(
    subjectId: number | undefined,
    openOnExchange: readonly TrackedOrder[],
    only?: (order: TrackedOrder) => boolean,
  ): { changed: number; missing: string[] }
  /** Settles an order that left the open list; returns whether the tracker changed. */
  settleVanished(orderId: string, fetched: TrackedOrder | undefined, subjectId: number | undefined): boolean
  /** Drops every listener, the client's relay among them (the client is closing). */
  removeAllListeners(): void
}

let internalsOf: (tracker: OrderTracker) => OrderTrackerInternals

/** The mutating side of `tracker`: the package's own, never exported from its entry. @internal */
export function trackerInternals(tracker: OrderTracker): OrderTrackerInternals {
  return internalsOf(tracker)
}

interface Entry {
  order: TrackedOrder
  subjectId: number | undefined
}

/**
 * Is `next` a newer view of the same order than `current`? Newer timestamp wins; at an
 * equal timestamp, more final state, then more filled, then a `replaced` edit wins. Anything
 * else is a duplicate or out of date. This total order is what makes `apply` idempotent and
 * independent of arrival order.
 */
function supersedes(next: TrackedOrder, current: TrackedOrder): boolean {
  if (next.last_update_timestamp !== current.last_update_timestamp) {
    return next.last_update_timestamp > current.last_update_timestamp
  }
  const rank = stateRank(next.order_state) - stateRank(current.order_state)
  if (rank !== 0) return rank > 0
  const filled = (next.filled_amount ?? 0) - (current.filled_amount ?? 0)
  if (filled !== 0) return filled > 0
  return next.replaced === true && current.replaced !== true
}

/**
 * Every order's latest known state, fed by notifications, call answers and reconciliation
 * (the public `client.orders`). Applying the same or an older update again changes nothing.
 *
 * @example
 * client.orders.on('order', (order, subjectId) => console.log(subjectId, order.order_id, order.order_state))
 * const { order } = await client.buy({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })
 * client.orders.get(order.order_id) // the latest state, without asking the exchange
 * client.orders.open() // every order that can still trade, reconciled after each reconnect
 */
export class OrderTracker extends EventSource<OrderTrackerEvents> {
  readonly #orders = new Map<string, Entry>()
  readonly #open = new Set<string>()
  /** Closed order ids, oldest first (Map keeps insertion order), for eviction. */
  readonly #closed = new Map<string, true>()
  readonly #byLabel = new Map<string, Set<string>>()
  readonly #maxClosed: number
  readonly #internals: OrderTrackerInternals = {
    apply: (order, subjectId) => this.#apply(order, subjectId),
    reconcile: (subjectId, list, fetchState, options) => this.#reconcile(subjectId, list, fetchState, options),
    applyOpenList: (subjectId, list, only) => this.#applyOpenList(subjectId, list, only),
    settleVanished: (orderId, fetched, subjectId) => this.#settleVanished(orderId, fetched, subjectId),
    removeAllListeners: () => this.#events.removeAllListeners(),
  }

  static {
    internalsOf = (tracker) => tracker.#internals
  }

  readonly #events: TypedEmitter<OrderTrackerEvents>

  constructor(options: OrderTrackerOptions = {}) {
    const onListenerError = options.onListenerError
    const events = new TypedEmitter<OrderTrackerEvents>(
      onListenerError === undefined ? undefined : (error) => onListenerError(error),
    )
    super(events)
    this.#events = events
    this.#maxClosed = Math.max(0, options.maxClosedOrders ?? DEFAULT_MAX_CLOSED_ORDERS)
  }

  /** Number of orders held (open and closed). */
  get size(): number {
    return this.#orders.size
  }

  /**
   * Records an order update for `subjectId` (the account it belongs to; undefined keeps
   * what is known). Returns what happened; malformed input is `'ignored'`, never thrown.
   */
  #apply(order: TrackedOrder, subjectId: number | undefined): 'added' | 'updated' | 'ignored' {
    if (!isOrder(order)) return 'ignored'
    const current = this.#orders.get(order.order_id)
    if (current !== undefined && !supersedes(order, current.order)) {
      if (current.subjectId === undefined && subjectId !== undefined) current.subjectId = subjectId
      return 'ignored'
    }
    const entry: Entry = { order, subjectId: subjectId ?? current?.subjectId }
    this.#store(entry, current)
    this.#events.emit('order', order, entry.subjectId)
    return current === undefined ? 'added' : 'updated'
  }

  /** Orders that can still trade (`open`, `untriggered`), oldest first. */
  open(): TrackedOrder[] {
    return [...this.#open].map((id) => (this.#orders.get(id) as Entry).order)
  }

  /** The latest known state of an order (open, or closed and not yet evicted). */
  get(orderId: string): TrackedOrder | undefined {
    return this.#orders.get(orderId)?.order
  }

  /** Orders carrying `label` (normally one: labels are per intent). */
  byLabel(label: string): TrackedOrder[] {
    return [...(this.#byLabel.get(label) ?? [])].map((id) => (this.#orders.get(id) as Entry).order)
  }

  /** Every held order of `subjectId` (open and kept closed ones). */
  forSubject(subjectId: number | undefined): TrackedOrder[] {
    const out: TrackedOrder[] = []
    for (const entry of this.#orders.values()) if (entry.subjectId === subjectId) out.push(entry.order)
    return out
  }

  /** The account an order belongs to, as far as known. */
  subjectOf(orderId: string): number | undefined {
    return this.#orders.get(orderId)?.subjectId
  }

  /**
   * Brings the tracker in line with the exchange after a reconnect or identity change.
   * `openOnExchange` is the exchange's open-order list for `subjectId`: each is applied. Each
   * order held open for that subject but missing from the list is looked up with `fetchState`
   * (it was filled or cancelled meanwhile); when that gives nothing, the order is closed as
   * `cancelled` with `cancel_reason` {@link RECONCILE_NOT_FOUND_REASON}. `only` limits the
   * held orders considered (e.g. to the currencies the list covers).
   *
   * Afterwards `open()` for the subject equals the list, except where the tracker already
   * holds a newer update than the list (it never goes back in time). If `fetchState` throws,
   * the other orders are still settled, then the first error is rethrown.
   */
  async #reconcile(
    subjectId: number | undefined,
    openOnExchange: readonly TrackedOrder[],
    fetchState: (orderId: string) => Promise<TrackedOrder | undefined>,
    options: { only?: (order: TrackedOrder) => boolean } = {},
  ): Promise<ReconcileResult> {
    const result: ReconcileResult = { added: 0, updated: 0, closed: 0 }
    const sizeBefore = this.#orders.size
    const { changed, missing } = this.#applyOpenList(subjectId, openOnExchange, options.only)
    result.added = this.#orders.size - sizeBefore
    result.updated = changed - result.added
    let firstError: { error: unknown } | undefined
    for (const id of missing) {
      let fetched: TrackedOrder | undefined
      try {
        fetched = await fetchState(id)
      } catch (error) {
        firstError ??= { error }
        continue
      }
      if (!this.#settleVanished(id, fetched, subjectId)) continue
      if (this.#open.has(id)) result.updated++
      else result.closed++
    }
    if (firstError !== undefined) throw firstError.error
    return result
  }

  /**
   * Applies the exchange's open-order list for `subjectId` and returns how many orders it
   * changed, and the ids held open for that subject (within `only`) that the list lacks: they
   * vanished meanwhile, and `settleVanished` settles each.
   */
  #applyOpenList(
    subjectId: number | undefined,
    openOnExchange: readonly TrackedOrder[],
    only?: (order: TrackedOrder) => boolean,
  ): { changed: number; missing: string[] } {
    let changed = 0
    const listed = new Set<string>()
    for (const order of openOnExchange) {
      if (!isOrder(order)) continue
      listed.add(order.order_id)
      if (this.#apply(order, subjectId) !== 'ignored') changed++
    }
    const missing = [...this.#open].filter((id) => {
      const entry = this.#orders.get(id) as Entry
      return entry.subjectId === subjectId && !listed.has(id) && (only?.(entry.order) ?? true)
    })
    return { changed, missing }
  }

  /**
   * Settles an order that left the open list: with the exchange's state when it has one, else
   * (the exchange no longer knows it) closed as `cancelled` with {@link RECONCILE_NOT_FOUND_REASON}.
   * Returns whether the tracker changed; a notification that settled it first wins.
   */
  #settleVanished(orderId: string, fetched: TrackedOrder | undefined, subjectId: number | undefined): boolean {
    const held = this.#orders.get(orderId)
    if (held === undefined || !isOpenOrder(held.order)) return false
    if (fetched !== undefined && isOrder(fetched) && fetched.order_id === orderId) {
      return this.#apply(fetched, subjectId) !== 'ignored'
    }
    this.#forceClosed(held)
    return true
  }

  /** Closes an order the exchange no longer knows: the only non-exchange state the tracker invents. */
  #forceClosed(held: Entry): void {
    const order: TrackedOrder = { ...held.order, order_state: 'cancelled', cancel_reason: RECONCILE_NOT_FOUND_REASON }
    const entry: Entry = { order, subjectId: held.subjectId }
    this.#store(entry, held)
    this.#events.emit('order', order, entry.subjectId)
  }

  #store(entry: Entry, previous: Entry | undefined): void {
    const { order } = entry
    const id = order.order_id
    this.#orders.set(id, entry)
    const oldLabel = previous?.order.label
    if (oldLabel !== undefined && oldLabel !== order.label) this.#unindexLabel(oldLabel, id)
    if (order.label !== undefined && order.label !== '') {
      let ids = this.#byLabel.get(order.label)
      if (ids === undefined) {
        ids = new Set()
        this.#byLabel.set(order.label, ids)
      }
      ids.add(id)
    }
    if (isOpenOrder(order)) {
      this.#open.add(id)
      this.#closed.delete(id)
      return
    }
    this.#open.delete(id)
    this.#closed.delete(id)
    this.#closed.set(id, true)
    while (this.#closed.size > this.#maxClosed) {
      const oldest = this.#closed.keys().next().value as string
      this.#closed.delete(oldest)
      const evicted = this.#orders.get(oldest)
      this.#orders.delete(oldest)
      if (evicted?.order.label) this.#unindexLabel(evicted.order.label, oldest)
    }
  }

  #unindexLabel(label: string, id: string): void {
    const ids = this.#byLabel.get(label)
    if (ids === undefined) return
    ids.delete(id)
    if (ids.size === 0) this.#byLabel.delete(label)
  }
}
