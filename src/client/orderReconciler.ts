import type { DeribitError } from '../errors.js'
import { currencyOfInstrument } from '../orders/instrumentCurrency.js'
import type { OrderTracker } from '../orders/orderTracker.js'
import type { Order } from '../protocol/types.js'
import type { RpcCaller } from '../session/rpcCaller.js'

/**
 * Makes the tracker equal the exchange's open orders for one subject, after every transition and
 * reconnect: one `private/get_open_orders` where the exchange offers it (else one call per
 * currency), and a `get_order_state` for each order that vanished while the client was away.
 */
export class OrderReconciler {
  readonly #tracker: OrderTracker
  readonly #currencies: readonly string[]
  /** True once the exchange said it has no `private/get_open_orders`. */
  #perCurrency = false

  constructor(tracker: OrderTracker, currencies: readonly string[]) {
    this.#tracker = tracker
    this.#currencies = currencies
  }

  /** Reconciles; resolves with how many orders the tracker changed. */
  async reconcile(caller: RpcCaller, subject: number | undefined): Promise<number> {
    const currencies = this.#currencies
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
        currencies.map((currency) => caller.call<Order[]>('private/get_open_orders_by_currency', { currency })),
      )
      open = lists.flat()
    }
    // A lookup that fails propagates: an order must not be marked closed because its lookup timed out.
    const result = await this.#tracker.reconcile(
      subject,
      open,
      async (orderId) => {
        try {
          return await caller.call<Order>('private/get_order_state', { order_id: orderId })
        } catch (error) {
          if ((error as DeribitError).exchangeCode === 10004) return undefined
          throw error
        }
      },
      perCurrency ? { only: (order) => currencies.includes(currencyOfInstrument(order.instrument_name)) } : {},
    )
    return result.added + result.updated + result.closed
  }
}
