/**
 * The exchange's internal, mutable record of one order, its id scheme and its wire form
 * (every field of Deribit's order example). Wire objects are fresh copies: the server may
 * hold a published object for an aggregated interval while the record keeps changing.
 */
import type { Order, OrderState } from '../../protocol/types.js'
import type { InstrumentSpec } from './instruments.js'
import { type LinkRole, linkWire } from './linkRole.js'
import { round8 } from './numbers.js'

/** Order types an order record can have (`market_limit` becomes `limit` on entry). */
export type OrderType =
  | 'limit'
  | 'market'
  | 'stop_limit'
  | 'stop_market'
  | 'take_limit'
  | 'take_market'
  | 'trailing_stop'

/** Deribit's `time_in_force` values. */
export type TimeInForce = 'good_til_cancelled' | 'good_til_day' | 'fill_or_kill' | 'immediate_or_cancel'

/** What a trigger order watches. */
export type TriggerSource = 'index_price' | 'mark_price' | 'last_price'

/** The account id of the simulated market maker; its orders are not any user's. */
export const MARKET_MAKER_ACCOUNT = 0

/** One order as the exchange keeps it. */
export interface OrderRecord {
  readonly id: string
  readonly accountId: number
  readonly connectionId: number | undefined
  readonly instrument: InstrumentSpec
  readonly direction: 'buy' | 'sell'
  readonly type: OrderType
  readonly timeInForce: TimeInForce
  /** Limit price; for market orders the protective band price it matches up to. */
  price: number
  amount: number
  filled: number
  /** Σ price × amount of fills, for `average_price`. */
  filledNotional: number
  state: OrderState
  label: string
  postOnly: boolean
  rejectPostOnly: boolean
  reduceOnly: boolean
  trigger: TriggerSource | undefined
  triggerPrice: number | undefined
  triggered: boolean
  readonly createdMs: number
  updatedMs: number
  replaced: boolean
  cancelReason: NonNullable<Order['cancel_reason']> | undefined
  /** The user's trading fee on this order so far. */
  commission: number
  profitLoss: number
  /** Trailing stops: how far the trigger trails the best reference price seen. */
  triggerOffset: number | undefined
  /** Trailing stops: the best reference price seen since placement (peak for sells, trough for buys). */
  trailReference: number | undefined
  /** Iceberg orders: the most the book shows of the order at a time. */
  displayAmount: number | undefined
  /** `market_limit` for an order entered as such (it rests as `limit`). */
  originalType: 'market_limit' | undefined
  /** Set for options entered with `advanced: usd` (price given in USD). */
  advanced: 'usd' | undefined
  /** The order's part in a linked group (OTO, OCO, OTOCO). */
  link: LinkRole | undefined
  /** Market-maker-protection orders (`mmp: true`, and every mass quote). */
  mmp: boolean
  /** Mass quotes: their MMP group, quote set and quote id. */
  quote: { mmpGroup: string; quoteSetId: string; quoteId: string } | undefined
  mmpCancelled: boolean
}

/** Amount still to trade. */
export function remainingOf(order: OrderRecord): number {
  return round8(order.amount - order.filled)
}

/** True while the order can still trade or be edited/cancelled. */
export function isLive(order: OrderRecord): boolean {
  return order.state === 'open' || order.state === 'untriggered'
}

/** True for trigger orders (stop, take-profit, trailing), which wait untriggered until their price is reached. */
export function isTriggerType(type: OrderType): boolean {
  return type !== 'limit' && type !== 'market'
}

/** True for the types that match at the market once live (no limit price of their own). */
export function isMarketType(type: OrderType): boolean {
  return type === 'market' || type === 'stop_market' || type === 'take_market' || type === 'trailing_stop'
}

/** What the book shows of an order: all that remains, or an iceberg's display part of it. */
export function shownOf(order: OrderRecord): number {
  const remaining = remainingOf(order)
  return order.displayAmount === undefined ? remaining : Math.min(order.displayAmount, remaining)
}

/** Moves `last_update_timestamp` strictly forward so clients can order an order's events. */
export function touch(order: OrderRecord, nowMs: number): void {
  order.updatedMs = Math.max(nowMs, order.updatedMs + 1)
}

/** Hands out order ids in Deribit's styles: `"94166"` (BTC), `"ETH-584864807"`, `"ETH-SLIS-12"` (trigger). */
export class OrderIds {
  private next = 1000
  private nextTrade = 1000

  order(currency: string, trigger: boolean): string {
    const n = this.next++
    if (trigger) return `${currency}-SLIS-${n}`
    return currency === 'BTC' ? String(n) : `${currency}-${n}`
  }

  /** Trade ids are strings too: `"48079269"` (BTC), `"ETH-2696097"`, `"USDC-2436803"`. */
  trade(currency: string): string {
    const n = this.nextTrade++
    return currency === 'BTC' ? String(n) : `${currency}-${n}`
  }
}

/** An order object as Deribit sends it (plus `contracts`, `trigger*` and `cancel_reason` where they apply). */
export type WireOrder = Order & Record<string, unknown>

/** The wire form of an order. */
export function orderWire(order: OrderRecord): WireOrder {
  const wire: WireOrder = {
    web: false,
    time_in_force: order.timeInForce,
    replaced: order.replaced,
    reduce_only: order.reduceOnly,
    risk_reducing: false,
    price: isMarketType(order.type) && order.type !== 'market' && !order.triggered ? 'market_price' : order.price,
    post_only: order.postOnly,
    reject_post_only: order.rejectPostOnly,
    order_type: order.type,
    order_state: order.state,
    order_id: order.id,
    max_show: order.displayAmount ?? order.amount,
    last_update_timestamp: order.updatedMs,
    label: order.label,
    is_rebalance: false,
    is_liquidation: false,
    instrument_name: order.instrument.instrument_name,
    filled_amount: order.filled,
    direction: order.direction,
    creation_timestamp: order.createdMs,
    commission: order.commission,
    profit_loss: order.profitLoss,
    average_price: order.filled > 0 ? clampPrice(order.filledNotional / order.filled) : 0,
    api: true,
    mmp: order.mmp,
    amount: order.amount,
    contracts: round8(order.amount / order.instrument.contract_size),
  }
  if (order.trigger !== undefined) {
    wire.trigger = order.trigger
    if (order.triggerPrice !== undefined) wire.trigger_price = order.triggerPrice
    wire.triggered = order.triggered
  }
  if (order.triggerOffset !== undefined) {
    wire.trigger_offset = order.triggerOffset
    if (order.trailReference !== undefined) wire.trigger_reference_price = order.trailReference
  }
  if (order.displayAmount !== undefined) {
    wire.display_amount = order.displayAmount
    wire.refresh_amount = shownOf(order)
  }
  if (order.originalType !== undefined) wire.original_order_type = order.originalType
  if (order.advanced !== undefined) wire.advanced = order.advanced
  if (order.quote !== undefined) {
    wire.quote = true
    wire.mmp_group = order.quote.mmpGroup
    wire.quote_set_id = order.quote.quoteSetId
    wire.quote_id = order.quote.quoteId
  }
  if (order.mmpCancelled) wire.mmp_cancelled = true
  if (order.link !== undefined) Object.assign(wire, linkWire(order.link))
  if (order.cancelReason !== undefined) wire.cancel_reason = order.cancelReason
  return wire
}

function clampPrice(value: number): number {
  return Math.round(value * 1e6) / 1e6
}
