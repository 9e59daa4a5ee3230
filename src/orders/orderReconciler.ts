import PQueue from 'p-queue'
import type { DeribitError } from '../errors.js'
import type { Order } from '../protocol/types.js'
import type { RpcCaller } from '../session/rpcCaller.js'
import { currencyOfInstrument } from './instrumentCurrency.js'
import { isOrder } from './orderShape.js'
import { type OrderTracker, trackerInternals } from './orderTracker.js'

/** One page of order history: the most a page may ask for. */
const HISTORY_PAGE = 1000
/** Pages of history read per currency before the rest is looked up order by order. */
const MAX_HISTORY_PAGES = 5
/**
 * Lookups of single orders in flight at once: enough to overlap round trips, few enough that
 * the credit pool keeps room for the bot's own calls meanwhile.
 */
const LOOKUP_CONCURRENCY = 8

/** What one reconciliation did. */
export interface ReconcileOutcome {
  /** Orders the open-order list added or brought up to date. */
  changed: number
  /**
   * Settles the orders that vanished while the client was away (filled or cancelled meanwhile):
   * in batches from order history, then lookups in parallel. Resolves with how many it closed or
   * updated; it never blocks the client, so the caller decides whether to await it.
   */
  vanished: Promise<number>
}

/**
 * Makes the tracker equal the exchange's open orders for one subject, after every transition and
 * reconnect: one `private/get_open_orders` where the exchange offers it (else one call per
 * currency). Orders held open that the list lacks are settled in batches (order history by
 * currency), so time to ready does not grow with their number.
 */
export class OrderReconciler {
  readonly #tracker: OrderTracker
  readonly #currencies: readonly string[]
  /** True once the exchange said it has no `private/get_open_orders`. */
  #perCurrency = false
  /** True once the exchange said it has no order history by currency. */
  #noHistory = false

  constructor(tracker: OrderTracker, currencies: readonly string[]) {
    this.#tracker = tracker
    this.#currencies = currencies
  }

  /** Reconciles the open orders now; the vanished ones settle in the returned promise. */
  async start(caller: RpcCaller, subject: number | undefined): Promise<ReconcileOutcome> {
    let open: Order[] | undefined
    if (!this.#perCurrency) {
      open = await caller.call<Order[]>('private/get_open_orders', {}).catch((error: unknown) => {
        if ((error as DeribitError).exchangeCode !== -32601) throw error
        this.#perCurrency = true
        return undefined
      })
    }
    const perCurrency = open === undefined
    if (open === undefined) {
      const lists = await Promise.all(
        this.#currencies.map((currency) => caller.call<Order[]>('private/get_open_orders_by_currency', { currency })),
      )
      open = lists.flat()
    }
    const { changed, missing } = trackerInternals(this.#tracker).applyOpenList(
      subject,
      open,
      perCurrency ? (order) => this.#currencies.includes(currencyOfInstrument(order.instrument_name)) : undefined,
    )
    const vanished = missing.length === 0 ? Promise.resolve(0) : this.#settleVanished(caller, subject, missing)
    return { changed, vanished }
  }

  /** Reconciles and waits for the vanished orders too; resolves with how many orders changed. */
  async reconcile(caller: RpcCaller, subject: number | undefined): Promise<number> {
    const { changed, vanished } = await this.start(caller, subject)
    return changed + (await vanished)
  }

  async #settleVanished(caller: RpcCaller, subject: number | undefined, missing: string[]): Promise<number> {
    let settled = 0
    const left = new Set(missing)
    if (!this.#noHistory) {
      const byCurrency = new Map<string, number>()
      for (const id of missing) {
        const held = this.#tracker.get(id)
        if (held === undefined) continue
        const currency = currencyOfInstrument(held.instrument_name)
        byCurrency.set(currency, (byCurrency.get(currency) ?? 0) + 1)
      }
      await Promise.all(
        [...byCurrency.keys()].map(async (currency) => {
          for (let page = 0; page < MAX_HISTORY_PAGES && left.size > 0; page++) {
            let history: unknown
            try {
              history = await caller.call<unknown>('private/get_order_history_by_currency', {
                currency,
                count: HISTORY_PAGE,
                offset: page * HISTORY_PAGE,
                include_unfilled: true,
              })
            } catch (error) {
              if ((error as DeribitError).exchangeCode === -32601) this.#noHistory = true
              return
            }
            if (!Array.isArray(history)) return
            for (const order of history) {
              if (!isOrder(order) || !left.has(order.order_id)) continue
              left.delete(order.order_id)
              if (trackerInternals(this.#tracker).apply(order, subject) !== 'ignored') settled++
            }
            if (history.length < HISTORY_PAGE) return
          }
        }),
      )
    }
    // What history did not show is looked up one by one, a few at a time.
    let firstError: unknown
    const lookups = new PQueue({ concurrency: LOOKUP_CONCURRENCY })
    await lookups.addAll(
      [...left].map((id) => async () => {
        try {
          const order = await caller.call<Order>('private/get_order_state', { order_id: id })
          if (trackerInternals(this.#tracker).settleVanished(id, order, subject)) settled++
        } catch (error) {
          if ((error as DeribitError).exchangeCode === 10004) {
            if (trackerInternals(this.#tracker).settleVanished(id, undefined, subject)) settled++
          } else firstError ??= error
        }
      }),
    )
    // A lookup that failed leaves its order open: it must not be marked closed because a lookup timed out.
    if (firstError !== undefined) throw firstError
    return settled
  }
}
