/**
 * Order-entry methods: `private/buy`, `private/sell`, `private/edit`, `private/cancel`,
 * `private/edit_by_label`, `private/close_position`, `private/cancel_all`,
 * `private/cancel_all_by_currency`, `private/cancel_all_by_instrument`,
 * `private/cancel_all_by_kind_or_type`, `private/cancel_by_label`. Validation answers with
 * Deribit's codes: 10020 unknown instrument, 10043 price off the tick, -32602 bad params,
 * 10009 funds, 11054 post-only reject, 10004/10029/11044 for an unknown, foreign or finished order.
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams, notSimulated, SimRpcError } from '../../contract.js'
import {
  callerAccount,
  currencyParam,
  type ExchangeCore,
  inCurrency,
  instrumentParam,
  ownOrder,
} from '../exchangeCore.js'
import { KINDS, tickAt } from '../instruments.js'
import { submitOrder } from '../linkedRequest.js'
import { roundToStep } from '../numbers.js'
import { isTriggerType, type OrderRecord, orderWire } from '../orderRecord.js'
import { amountParam, checkValidUntil, priceParam } from '../orderRequest.js'
import { optionalBoolean, optionalEnum, optionalNumber, type Params, refuseUnless, requiredString } from '../params.js'
import { trail } from '../triggers.js'

const CANCEL_TYPES = ['all', 'limit', 'trigger_all', 'stop', 'take', 'trailing_stop'] as const

type CancelType = (typeof CANCEL_TYPES)[number]

/** A param that is a string or a list of strings (`cancel_all_by_kind_or_type`). */
function stringList(params: Params, name: string): string[] {
  const value = params[name]
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === 'string')) {
    throw invalidParams(name, 'must be a string or a list of strings')
  }
  return list as string[]
}

/** Applies `private/edit` params to an order. */
function editOrder(core: ExchangeCore, order: OrderRecord, params: Params): unknown {
  const spec = order.instrument
  const amount = amountParam(params, spec, false) ?? order.amount
  const limit = order.type === 'limit' || order.type === 'stop_limit' || order.type === 'take_limit'
  refuseUnless(params, 'price', limit, 'only for limit, stop_limit and take_limit orders')
  let price = limit ? priceParam(params, 'price', spec, false) : undefined
  const advanced = optionalEnum(params, 'advanced', ['usd', 'implv'] as const)
  if (advanced !== undefined) {
    if (spec.kind !== 'option') throw invalidParams('advanced', 'only for options')
    if (advanced === 'implv') throw notSimulated('advanced', 'implv orders are not simulated: no volatility model')
    if (price !== undefined)
      price = Math.max(roundToStep(price / core.market.indexOf(spec), tickAt(spec, price)), spec.tick_size)
  }
  const offset = optionalNumber(params, 'trigger_offset')
  if (offset !== undefined) {
    if (order.type !== 'trailing_stop') throw invalidParams('trigger_offset', 'only for trailing_stop orders')
    if (!(offset > 0)) throw invalidParams('trigger_offset', 'must be positive')
    order.triggerOffset = offset
    // The peak (or trough) seen so far stays; the trigger moves to the new distance from it.
    if (order.trailReference !== undefined) trail(order, order.trailReference)
  }
  const display = optionalNumber(params, 'display_amount')
  // Changing an iceberg's display part would re-queue it; the simulator keeps it as placed.
  if (display !== undefined && display !== (order.displayAmount ?? order.amount) && display < amount)
    throw invalidParams('display_amount', 'cannot be changed by edit in the simulator')
  const mmp = optionalBoolean(params, 'mmp')
  if (mmp !== undefined) {
    if (mmp && order.type !== 'limit') throw invalidParams('mmp', 'only for limit orders')
    order.mmp = mmp
  }
  refuseUnless(params, 'trigger_price', isTriggerType(order.type), 'only for trigger orders')
  refuseUnless(
    params,
    'trigger_price',
    order.type !== 'trailing_stop',
    'not for trailing_stop orders: they trail by trigger_offset',
  )
  return core.engine.edit(order, {
    amount,
    price,
    postOnly: optionalBoolean(params, 'post_only'),
    rejectPostOnly: optionalBoolean(params, 'reject_post_only'),
    reduceOnly: optionalBoolean(params, 'reduce_only'),
    triggerPrice: isTriggerType(order.type) ? priceParam(params, 'trigger_price', spec, false) : undefined,
  })
}

/** `freeze_quotes: true` on a cancel refuses the account's mass quotes for a second, as on Deribit. */
function freezeQuotes(core: ExchangeCore, params: Params, accountId: number): void {
  if (optionalBoolean(params, 'freeze_quotes') === true) core.mmp.freezeQuotes(accountId, 1000)
}

/** Which cancel `type` selects an order. */
function cancelTypeMatches(type: CancelType, order: OrderRecord): boolean {
  if (type === 'all') return true
  if (type === 'limit') return !isTriggerType(order.type)
  if (type === 'trigger_all') return isTriggerType(order.type)
  if (type === 'stop') return order.type === 'stop_limit' || order.type === 'stop_market'
  if (type === 'take') return order.type === 'take_limit' || order.type === 'take_market'
  return order.type === 'trailing_stop'
}

/** A cancel result: the count, or with `detailed` the execution reports grouped by currency and type. */
function cancelResult(params: Params, cancelled: readonly OrderRecord[]): unknown {
  if (optionalBoolean(params, 'detailed') !== true) return cancelled.length
  const reports = new Map<string, { currency: string; type: string; instrument_name?: string; result: unknown[] }>()
  for (const order of cancelled) {
    const currency = order.instrument.settlement_currency
    const type = isTriggerType(order.type) ? 'trigger' : 'limit'
    const key = `${currency}/${type}/${order.instrument.instrument_name}`
    let report = reports.get(key)
    if (report === undefined) {
      report = { currency, type, instrument_name: order.instrument.instrument_name, result: [] }
      reports.set(key, report)
    }
    report.result.push(orderWire(order))
  }
  return [...reports.values()]
}

/** Handlers for order entry and cancellation. */
export function orderMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { engine } = core
  return {
    'private/buy': (params, ctx) => {
      checkValidUntil(params, core.now())
      return submitOrder(core, params, ctx, 'buy')
    },
    'private/sell': (params, ctx) => {
      checkValidUntil(params, core.now())
      return submitOrder(core, params, ctx, 'sell')
    },
    'private/edit': (params, ctx) => {
      checkValidUntil(params, core.now())
      return editOrder(core, ownOrder(core, params, callerAccount(core, ctx)), params)
    },
    'private/edit_by_label': (params, ctx) => {
      checkValidUntil(params, core.now())
      const account = callerAccount(core, ctx)
      const label = requiredString(params, 'label')
      const spec = instrumentParam(core, params)
      const order = [...engine.liveOrders(account.id)].find((o) => o.label === label && o.instrument === spec)
      if (order === undefined) throw new SimRpcError(10004, 'order_not_found')
      return editOrder(core, order, params)
    },
    'private/close_position': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const spec = instrumentParam(core, params)
      const type = optionalEnum(params, 'type', ['limit', 'market'] as const)
      if (type === undefined) throw invalidParams('type', 'value required')
      refuseUnless(params, 'price', type === 'limit', 'only for limit orders')
      const size = account.positions.get(spec.instrument_name)?.size ?? 0
      if (size === 0) throw invalidParams('instrument_name', 'no open position')
      return engine.submit({
        accountId: account.id,
        connectionId: ctx.connectionId,
        instrument: spec,
        direction: size > 0 ? 'sell' : 'buy',
        type,
        timeInForce: 'good_til_cancelled',
        price: type === 'limit' ? priceParam(params, 'price', spec, true) : undefined,
        amount: Math.abs(size),
        label: '',
        postOnly: false,
        rejectPostOnly: false,
        reduceOnly: true,
        trigger: undefined,
        triggerPrice: undefined,
      })
    },
    'private/cancel': (params, ctx) => engine.cancel(ownOrder(core, params, callerAccount(core, ctx)), 'user_request'),
    'private/cancel_all': (params, ctx) => {
      const account = callerAccount(core, ctx)
      freezeQuotes(core, params, account.id)
      return cancelResult(
        params,
        engine.cancelWhere(account.id, () => true),
      )
    },
    'private/cancel_all_by_currency': (params, ctx) => {
      const account = callerAccount(core, ctx)
      freezeQuotes(core, params, account.id)
      const currency = currencyParam(params, true)
      const kind = optionalEnum(params, 'kind', [...KINDS, 'any'])
      const type = optionalEnum(params, 'type', CANCEL_TYPES) ?? 'all'
      const cancelled = engine.cancelWhere(
        account.id,
        (o) =>
          inCurrency(o.instrument, currency) &&
          (kind === undefined || kind === 'any' || o.instrument.kind === kind) &&
          cancelTypeMatches(type, o),
      )
      return cancelResult(params, cancelled)
    },
    'private/cancel_all_by_instrument': (params, ctx) => {
      const account = callerAccount(core, ctx)
      freezeQuotes(core, params, account.id)
      const spec = instrumentParam(core, params)
      const type = optionalEnum(params, 'type', CANCEL_TYPES) ?? 'all'
      // No combo instruments are listed, so there are no combo orders to include.
      optionalBoolean(params, 'include_combos')
      return cancelResult(
        params,
        engine.cancelWhere(account.id, (o) => o.instrument === spec && cancelTypeMatches(type, o)),
      )
    },
    'private/cancel_all_by_currency_pair': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const pair = requiredString(params, 'currency_pair')
      if (!core.instruments.some((s) => s.price_index === pair))
        throw invalidParams('currency_pair', 'no instrument of the simulator follows this pair')
      const kind = optionalEnum(params, 'kind', [...KINDS, 'any'])
      const type = optionalEnum(params, 'type', CANCEL_TYPES) ?? 'all'
      freezeQuotes(core, params, account.id)
      const cancelled = engine.cancelWhere(
        account.id,
        (o) =>
          o.instrument.price_index === pair &&
          (kind === undefined || kind === 'any' || o.instrument.kind === kind) &&
          cancelTypeMatches(type, o),
      )
      return cancelResult(params, cancelled)
    },
    'private/cancel_all_by_kind_or_type': (params, ctx) => {
      const account = callerAccount(core, ctx)
      freezeQuotes(core, params, account.id)
      const currencies = stringList(params, 'currency')
      const kinds = params.kind === undefined ? ['any'] : stringList(params, 'kind')
      const types = params.type === undefined ? ['all'] : stringList(params, 'type')
      const cancelled = engine.cancelWhere(
        account.id,
        (o) =>
          currencies.some((c) => inCurrency(o.instrument, c)) &&
          kinds.some((k) => k === 'any' || k === o.instrument.kind) &&
          types.some((t) => (CANCEL_TYPES as readonly string[]).includes(t) && cancelTypeMatches(t as CancelType, o)),
      )
      return cancelResult(params, cancelled)
    },
    'private/cancel_by_label': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const label = requiredString(params, 'label')
      const currency = params.currency === undefined ? 'any' : currencyParam(params, false)
      return cancelResult(
        params,
        engine.cancelWhere(account.id, (o) => o.label === label && inCurrency(o.instrument, currency)),
      )
    },
  }
}
