import { ConnectionClosedError, type DeribitError, OrderNotPlacedError, OrderOutcomeUnknownError } from '../errors.js'
import { newOrderLabel } from '../orders/labels.js'
import { settleByLabel } from '../orders/orderSettlement.js'
import type { OrderTracker } from '../orders/orderTracker.js'
import type { Order, OrderResult } from '../protocol/types.js'
import type { CallOptions, RpcCaller } from '../session/rpcCaller.js'
import type { ReadyGate } from './readyGate.js'

/** Params of `private/buy` / `private/sell`, as Deribit names them. */
export interface OrderParams {
  /** Instrument, e.g. `BTC-PERPETUAL`. */
  instrument_name: string
  /** Order size, in USD for perpetuals and inverse futures, in the base coin for options and linear futures. Give this or `contracts` (if both, they must agree). */
  amount?: number
  /** Order size in contracts. Give this or `amount` (if both, they must agree). */
  contracts?: number
  /** Order type. @default 'limit' (on the exchange) */
  type?:
    | 'limit'
    | 'market'
    | 'stop_limit'
    | 'stop_market'
    | 'take_limit'
    | 'take_market'
    | 'market_limit'
    | 'trailing_stop'
  /** One label per intent (≤ 64 chars); generated when left out. It is how a lost answer is settled. */
  label?: string
  /** Limit price, for `limit` and `stop_limit` orders. */
  price?: number
  /** How long the order stays. @default 'good_til_cancelled' (on the exchange) */
  time_in_force?: 'good_til_cancelled' | 'good_til_day' | 'fill_or_kill' | 'immediate_or_cancel'
  /** Never take liquidity: an order that would fill at once is repriced just inside the spread (GTC only). @default false */
  post_only?: boolean
  /** With `post_only`, reject (11054 `post_only_reject`) instead of repricing. @default false */
  reject_post_only?: boolean
  /** Only reduce the current position. @default false */
  reduce_only?: boolean
  /** Trigger price of a stop, take or trailing order. */
  trigger_price?: number
  /** Which price fires a trigger order. */
  trigger?: 'index_price' | 'mark_price' | 'last_price'
  /** Any other `private/buy` / `private/sell` param (e.g. `valid_until`, `display_amount`), sent as is. */
  [extra: string]: unknown
}

/** Params of `private/edit`. */
export interface EditParams {
  /** The order to edit. */
  order_id: string
  /** New total size, in USD for perpetuals and inverse futures, in the base coin for options and linear futures. */
  amount?: number
  /** New total size in contracts. */
  contracts?: number
  /** New limit price. */
  price?: number
  /** Post-only flag for the edited order. */
  post_only?: boolean
  /** Reduce-only flag for the edited order. */
  reduce_only?: boolean
  /** Any other `private/edit` param (e.g. `trigger_price`, `advanced`), sent as is. */
  [extra: string]: unknown
}

/** What order entry needs from the client. */
export interface OrderEntryDeps {
  /** Calls pinned to the socket current at the time of the call: nothing reaches a newer one unasked. */
  rpc: RpcCaller
  tracker: OrderTracker
  gate: ReadyGate
  timeoutMs: number
  whileDisconnected: 'fail' | 'wait'
  subject: () => number | undefined
  isReconnecting: () => boolean
  refreshOnExpiry: () => Promise<void>
  reconcile: () => Promise<void>
}

/** Codes meaning the request was written and its answer lost: the exchange may or may not have acted. */
const LOST: ReadonlySet<string> = new Set(['CONNECTION_CLOSED', 'TIMEOUT'])

/** How many times a lost answer's lookup is tried before the outcome is called unknown. */
const SETTLE_ATTEMPTS = 3

/**
 * Places, edits and cancels orders so that nothing is placed twice: every order carries a label,
 * a lost answer is settled by asking the exchange about that label (or order id), and a
 * definite rejection is the only thing ever sent again (once, after a token refresh).
 */
export class OrderEntry {
  readonly #deps: OrderEntryDeps

  constructor(deps: OrderEntryDeps) {
    this.#deps = deps
  }

  /** `private/buy` or `private/sell` under one label. */
  async place(direction: 'buy' | 'sell', params: OrderParams, options: CallOptions): Promise<OrderResult> {
    const label = params.label ?? newOrderLabel()
    const request = { ...params, label }
    const subject = this.#deps.subject()
    const result = await this.#send<OrderResult>(`private/${direction}`, request, options, async () => {
      const order = await settleByLabel(this.#deps.rpc, { label, instrumentName: params.instrument_name })
      if (!order) throw new OrderNotPlacedError(label)
      return { order, trades: [] }
    }).catch((error: unknown) => {
      if (error instanceof OrderNotPlacedError) throw error
      if ((error as DeribitError).code === 'OUTCOME_UNKNOWN') throw error
      throw error
    })
    this.#deps.tracker.apply(result.order, subject)
    return result
  }

  /** `private/edit`; a lost answer is settled by reading the order. */
  async edit(params: EditParams, options: CallOptions): Promise<OrderResult> {
    const subject = this.#deps.subject()
    const result = await this.#send<OrderResult>('private/edit', { ...params }, options, async () => ({
      order: await this.#orderState(params.order_id),
      trades: [],
    }))
    this.#deps.tracker.apply(result.order, subject)
    return result
  }

  /** `private/cancel`; resolves with the order's final state. */
  async cancel(orderId: string, options: CallOptions): Promise<Order> {
    const subject = this.#deps.subject()
    const order = await this.#send<Order>('private/cancel', { order_id: orderId }, options, () =>
      this.#orderState(orderId),
    )
    this.#deps.tracker.apply(order, subject)
    return order
  }

  /** `private/cancel_all*`; afterwards the tracker is reconciled with the exchange. */
  async cancelAll(
    params: { currency?: string; instrument_name?: string; kind?: string; type?: string },
    options: CallOptions,
  ): Promise<number> {
    const method = params.instrument_name
      ? 'private/cancel_all_by_instrument'
      : params.currency
        ? 'private/cancel_all_by_currency'
        : 'private/cancel_all'
    // Cancelling everything twice has the effect of cancelling it once, so a lost answer may repeat it.
    const count = await this.#send<number>(method, { ...params }, options, () =>
      this.#deps.rpc.call<number>(method, { ...params }),
    )
    await this.#deps.reconcile()
    return count
  }

  /** `private/cancel_by_label`. */
  async cancelByLabel(label: string, options: CallOptions & { currency?: string }): Promise<number> {
    const params = { label, ...(options.currency ? { currency: options.currency } : {}) }
    const count = await this.#send<number>('private/cancel_by_label', params, options, () =>
      this.#deps.rpc.call<number>('private/cancel_by_label', params),
    )
    await this.#deps.reconcile()
    return count
  }

  /**
   * Sends once. A definite 13009 (token expired) is sent again once after a refresh: the exchange
   * refused it before acting. A lost answer goes to `settle` once the client is ready again.
   */
  async #send<T>(
    method: string,
    params: Record<string, unknown>,
    options: CallOptions,
    settle: () => Promise<T>,
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.#deps.timeoutMs
    for (let attempt = 0; ; attempt++) {
      if (!this.#deps.gate.isOpen && this.#deps.isReconnecting() && this.#deps.whileDisconnected === 'fail') {
        throw new ConnectionClosedError(`${method} not sent: the connection is down`, { notSent: true, method })
      }
      await this.#deps.gate.wait(timeoutMs, options.signal)
      try {
        return await this.#deps.rpc.call<T>(method, params, {
          timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        })
      } catch (error) {
        const code = (error as DeribitError).code
        if (code === 'NOT_CONNECTED' && this.#deps.whileDisconnected === 'wait' && attempt < 3) continue
        if (code === 'AUTH_FAILED' && (error as DeribitError).exchangeCode === 13009 && attempt === 0) {
          await this.#deps.refreshOnExpiry()
          continue
        }
        if (!LOST.has(code)) throw error
        return await this.#settle(method, params, settle, Math.max(timeoutMs, this.#deps.timeoutMs), options, error)
      }
    }
  }

  /**
   * Asks the exchange what became of a request whose answer was lost. The lookup is a read, so
   * it may be repeated when it too is lost (the socket that lost the answer may be half-open and
   * only noticed by its silence); each try waits for the client to be ready first.
   */
  async #settle<T>(
    method: string,
    params: Record<string, unknown>,
    settle: () => Promise<T>,
    waitMs: number,
    options: CallOptions,
    original: unknown,
  ): Promise<T> {
    let last: unknown = original
    for (let attempt = 0; attempt < SETTLE_ATTEMPTS; attempt++) {
      try {
        await this.#deps.gate.wait(3 * waitMs, options.signal)
        return await settle()
      } catch (error) {
        if (error instanceof OrderNotPlacedError) throw error
        last = error
        const code = (error as DeribitError).code
        if (!LOST.has(code) && code !== 'NOT_CONNECTED') break
      }
    }
    if (typeof params.label === 'string') throw new OrderOutcomeUnknownError(params.label, { method, cause: last })
    throw original
  }

  #orderState(orderId: string): Promise<Order> {
    return this.#deps.rpc.call<Order>('private/get_order_state', { order_id: orderId })
  }
}
