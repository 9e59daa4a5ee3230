/**
 * Reading an order request (`private/buy`, `private/sell`, an `otoco_config` entry, a mass
 * quote) into a {@link NewOrder}, refusing what Deribit refuses: unknown enum values, a
 * trigger order without `trigger`, a trailing stop without `trigger_offset`, an iceberg whose
 * display part is too small, `advanced` on anything but options, params that only some order
 * types take given to another, and a request whose `valid_until` has passed (13888).
 */
import { type CallContext, invalidParams, notSimulated, SimRpcError } from '../contract.js'
import { callerAccount, type ExchangeCore, instrumentParam } from './exchangeCore.js'
import { type InstrumentSpec, tickAt } from './instruments.js'
import type { NewOrder, OrderExtras } from './matchingEngine.js'
import { isMultipleOf, round8, roundToStep } from './numbers.js'
import { isMarketType, isTriggerType, type OrderType, type TimeInForce, type TriggerSource } from './orderRecord.js'
import { optionalBoolean, optionalEnum, optionalNumber, optionalString, type Params, refuseUnless } from './params.js'

/** Longest `label` Deribit accepts. */
export const MAX_LABEL_LENGTH = 64

/** The `type` values of an order request; `market_limit` rests as `limit`. */
export const REQUEST_TYPES = [
  'limit',
  'stop_limit',
  'take_limit',
  'market',
  'stop_market',
  'take_market',
  'market_limit',
  'trailing_stop',
] as const
type RequestType = (typeof REQUEST_TYPES)[number]

export const TIME_IN_FORCE: readonly TimeInForce[] = [
  'good_til_cancelled',
  'good_til_day',
  'fill_or_kill',
  'immediate_or_cancel',
]
const TRIGGERS: readonly TriggerSource[] = ['index_price', 'mark_price', 'last_price']
/** An iceberg shows at least this many minimum amounts, and hides less than this many times what it shows. */
const ICEBERG_RATIO = 100

/** The order amount from `amount` and/or `contracts`; they must agree when both are given. */
export function amountParam(params: Params, spec: InstrumentSpec, required: boolean): number | undefined {
  const amount = optionalNumber(params, 'amount')
  const contracts = optionalNumber(params, 'contracts')
  let value = amount
  if (contracts !== undefined) {
    const fromContracts = round8(contracts * spec.contract_size)
    if (amount !== undefined && Math.abs(amount - fromContracts) > 1e-9)
      throw invalidParams('contracts', 'contracts and amount do not match')
    value = fromContracts
  }
  if (value === undefined) {
    if (required) throw invalidParams('amount', 'value required')
    return undefined
  }
  if (value <= 0) throw invalidParams('amount', 'must be positive')
  if (value < spec.min_trade_amount - 1e-9 || !isMultipleOf(value, spec.min_trade_amount)) {
    throw invalidParams('amount', `must be a multiple of ${spec.min_trade_amount}`)
  }
  return round8(value)
}

/** A price param on the instrument's tick (10043 otherwise). */
export function priceParam(params: Params, name: string, spec: InstrumentSpec, required: boolean): number | undefined {
  const price = optionalNumber(params, name)
  if (price === undefined) {
    if (required) throw invalidParams(name, 'value required')
    return undefined
  }
  if (price <= 0) throw invalidParams(name, 'must be positive')
  if (!isMultipleOf(price, tickAt(spec, price)))
    throw new SimRpcError(10043, 'price_wrong_tick', { param: name, reason: `tick size is ${tickAt(spec, price)}` })
  return price
}

export function labelParam(params: Params): string {
  const label = optionalString(params, 'label') ?? ''
  if (label.length > MAX_LABEL_LENGTH) throw invalidParams('label', `must be at most ${MAX_LABEL_LENGTH} characters`)
  return label
}

/** 13888 `timed_out` when the request's `valid_until` (ms) has passed on the server clock. */
export function checkValidUntil(params: Params, nowMs: number): void {
  const until = optionalNumber(params, 'valid_until')
  if (until === undefined) return
  if (!Number.isInteger(until)) throw invalidParams('valid_until', 'must be a timestamp in ms')
  if (nowMs > until) throw new SimRpcError(13888, 'timed_out')
}

/** `advanced: usd` turns an option's USD price into its coin price (on the tick); `implv` needs a volatility model the simulator lacks. */
function advancedPrice(params: Params, spec: InstrumentSpec, price: number | undefined, index: number) {
  const advanced = optionalEnum(params, 'advanced', ['usd', 'implv'] as const)
  if (advanced === undefined) return { price, advanced: undefined }
  if (spec.kind !== 'option') throw invalidParams('advanced', 'only for options')
  if (advanced === 'implv') throw notSimulated('advanced', 'implv orders are not simulated: no volatility model')
  if (price === undefined) return { price, advanced }
  const coin = roundToStep(price / index, tickAt(spec, price / index))
  return { price: Math.max(coin, spec.tick_size), advanced }
}

function icebergParam(params: Params, spec: InstrumentSpec, type: RequestType, amount: number): number | undefined {
  const display = optionalNumber(params, 'display_amount')
  if (display === undefined || display >= amount) return undefined
  if (type !== 'limit') throw invalidParams('display_amount', 'only for limit orders')
  if (display < ICEBERG_RATIO * spec.min_trade_amount - 1e-9 || !isMultipleOf(display, spec.min_trade_amount))
    throw invalidParams(
      'display_amount',
      `must be a multiple of ${spec.min_trade_amount}, at least ${ICEBERG_RATIO} of them`,
    )
  if (amount - display >= ICEBERG_RATIO * display)
    throw invalidParams('display_amount', `hidden part must be less than ${ICEBERG_RATIO} times the display amount`)
  return round8(display)
}

/**
 * A validated order of `direction` on `spec` from `params`. `defaults` fills what an
 * `otoco_config` entry may leave out (its amount defaults to the primary's).
 */
export function readOrder(
  core: ExchangeCore,
  params: Params,
  ctx: CallContext,
  spec: InstrumentSpec,
  direction: 'buy' | 'sell',
  defaults: { amount?: number } = {},
): NewOrder {
  const account = callerAccount(core, ctx)
  const requested = optionalEnum(params, 'type', REQUEST_TYPES) ?? 'limit'
  const type: OrderType = requested === 'market_limit' ? 'limit' : requested
  const amount = amountParam(params, spec, defaults.amount === undefined) ?? (defaults.amount as number)
  const limit = type === 'limit' || type === 'stop_limit' || type === 'take_limit'
  const priced = limit && requested !== 'market_limit'
  refuseUnless(params, 'price', priced, 'only for limit, stop_limit and take_limit orders')
  let price = priced ? priceParam(params, 'price', spec, true) : undefined
  if (requested === 'market_limit') price = bestOpposite(core, spec, direction)
  const advanced = advancedPrice(params, spec, price, core.market.indexOf(spec))
  price = advanced.price
  const trigger = isTriggerType(type)
  const trailing = type === 'trailing_stop'
  if (trailing)
    refuseUnless(params, 'trigger_price', false, 'not for trailing_stop orders: they trail by trigger_offset')
  const triggerPrice = trigger && !trailing ? priceParam(params, 'trigger_price', spec, true) : undefined
  const triggerSource = optionalEnum(params, 'trigger', TRIGGERS)
  if (trigger && triggerSource === undefined) throw invalidParams('trigger', 'value required')
  if (!trigger && triggerSource !== undefined) throw invalidParams('trigger', 'only for trigger orders')
  if (!trigger && optionalNumber(params, 'trigger_price') !== undefined)
    throw invalidParams('trigger_price', 'only for trigger orders')
  const offset = optionalNumber(params, 'trigger_offset')
  if (trailing && (offset === undefined || !(offset > 0))) throw invalidParams('trigger_offset', 'value required')
  if (!trailing && offset !== undefined) throw invalidParams('trigger_offset', 'only for trailing_stop orders')
  const timeInForce = optionalEnum(params, 'time_in_force', TIME_IN_FORCE) ?? 'good_til_cancelled'
  const postOnly = optionalBoolean(params, 'post_only') ?? false
  if (postOnly && (isMarketType(type) || timeInForce !== 'good_til_cancelled'))
    throw invalidParams('post_only', 'only for good_til_cancelled limit orders')
  const mmp = optionalBoolean(params, 'mmp') ?? false
  if (mmp && type !== 'limit') throw invalidParams('mmp', 'only for limit orders')
  const extras: OrderExtras = { mmp }
  const display = icebergParam(params, spec, requested, amount)
  if (display !== undefined) extras.displayAmount = display
  if (trailing) extras.triggerOffset = offset as number
  if (requested === 'market_limit') extras.originalType = 'market_limit'
  if (advanced.advanced !== undefined) extras.advanced = advanced.advanced
  return {
    accountId: account.id,
    connectionId: ctx.connectionId,
    instrument: spec,
    direction,
    type,
    timeInForce,
    price,
    amount,
    label: labelParam(params),
    postOnly,
    rejectPostOnly: optionalBoolean(params, 'reject_post_only') ?? false,
    reduceOnly: optionalBoolean(params, 'reduce_only') ?? false,
    trigger: triggerSource,
    triggerPrice,
    extras,
  }
}

/** The order `private/buy` or `private/sell` asks for. */
export function orderRequest(
  core: ExchangeCore,
  params: Params,
  ctx: CallContext,
  direction: 'buy' | 'sell',
): NewOrder {
  return readOrder(core, params, ctx, instrumentParam(core, params), direction)
}

/** `market_limit` takes the best opposite price; with an empty opposite side there is nothing to take. */
function bestOpposite(core: ExchangeCore, spec: InstrumentSpec, direction: 'buy' | 'sell'): number {
  const best = core.engine.book(spec).best(direction === 'buy' ? 'sell' : 'buy')
  if (best === undefined) throw invalidParams('type', 'market_limit needs a price on the other side of the book')
  return best.price
}
