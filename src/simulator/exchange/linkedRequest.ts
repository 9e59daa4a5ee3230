/**
 * `linked_order_type`, `trigger_fill_condition` and `otoco_config` of `private/buy|sell`:
 * checks them, places the primary and its secondaries as one operation and links them.
 * OTO takes one or more secondaries, OCO one (the primary is the other leg), OTOCO exactly two
 * (its stop-loss / take-profit pair). Secondaries trade the primary's instrument; their
 * direction defaults to the opposite of the primary's and their amount to the primary's.
 */
import { type CallContext, invalidParams, SimRpcError } from '../contract.js'
import type { ExchangeCore } from './exchangeCore.js'
import { instrumentParam } from './exchangeCore.js'
import type { InstrumentSpec } from './instruments.js'
import { linkGroup } from './linkedOrders.js'
import type { FillCondition, LinkType } from './linkRole.js'
import type { NewOrder, OrderResultWire } from './matchingEngine.js'
import { isLive, type OrderRecord, orderWire } from './orderRecord.js'
import { readOrder } from './orderRequest.js'
import { optionalEnum, type Params } from './params.js'

const LINK_TYPES: readonly LinkType[] = ['one_triggers_other', 'one_cancels_other', 'one_triggers_one_cancels_other']
const FILL_CONDITIONS: readonly FillCondition[] = ['first_hit', 'complete_fill', 'incremental']
const SECONDARY_COUNT: Record<LinkType, [number, number]> = {
  one_triggers_other: [1, 10],
  one_cancels_other: [1, 1],
  one_triggers_one_cancels_other: [2, 2],
}

/** Places a `private/buy` or `private/sell`, linked or not. */
export function submitOrder(
  core: ExchangeCore,
  params: Params,
  ctx: CallContext,
  direction: 'buy' | 'sell',
): OrderResultWire {
  const spec = instrumentParam(core, params)
  const primary = readOrder(core, params, ctx, spec, direction)
  checkAllowed(core, primary.accountId, spec)
  if (primary.extras?.mmp === true) core.mmp.checkNotFrozen(primary.accountId, spec.price_index, undefined)
  const type = optionalEnum(params, 'linked_order_type', LINK_TYPES)
  const condition = optionalEnum(params, 'trigger_fill_condition', FILL_CONDITIONS)
  const config = params.otoco_config
  if (type === undefined) {
    if (condition !== undefined) throw invalidParams('trigger_fill_condition', 'only for linked orders')
    if (config !== undefined) throw invalidParams('otoco_config', 'only for linked orders')
    return core.engine.submit(primary)
  }
  const entries = configEntries(config, type)
  const triggers = type !== 'one_cancels_other'
  const secondaries = entries.map((entry, i) => {
    const side = entry.direction ?? (direction === 'buy' ? 'sell' : 'buy')
    if (side !== 'buy' && side !== 'sell') throw invalidParams(`otoco_config[${i}].direction`, 'must be buy or sell')
    const request: NewOrder = readOrder(core, entry, ctx, spec, side, { amount: primary.amount })
    if (triggers) request.extras = { ...request.extras, pendingSecondary: true }
    return request
  })
  return core.engine.batch(() => {
    const placed = core.engine.place(primary)
    const records: OrderRecord[] = secondaries.map((s) => core.engine.place(s).order)
    linkGroup(type, condition ?? 'first_hit', placed.order, records)
    // The primary may have traded, or ended, before it was linked: replay that now.
    if (placed.order.filled > 0) core.linked.filled(placed.order, placed.order.filled)
    if (!triggers) for (const r of records) if (r.filled > 0) core.linked.filled(r, r.filled)
    if (!isLive(placed.order)) core.linked.closed(placed.order)
    return { order: orderWire(placed.order), trades: placed.trades }
  })
}

/** The product family an instrument belongs to, as `set_disabled_trading_products` names them. */
function productOf(spec: InstrumentSpec): string {
  if (spec.kind === 'option') return 'options'
  if (spec.kind === 'spot') return 'spots'
  if (spec.kind === 'future_combo') return 'future_combos'
  if (spec.kind === 'option_combo') return 'option_combos'
  return spec.settlement_period === 'perpetual' ? 'perpetual' : 'futures'
}

/** Refuses orders in a locked currency or a disabled product (13021 forbidden). */
export function checkAllowed(core: ExchangeCore, accountId: number, spec: InstrumentSpec): void {
  const { restrictions } = core.ledger.get(accountId)
  if (restrictions.locked.has(spec.settlement_currency))
    throw new SimRpcError(13021, 'forbidden', { reason: `account locked for ${spec.settlement_currency}` })
  if (restrictions.disabledProducts.has(productOf(spec)))
    throw new SimRpcError(13021, 'forbidden', { reason: `trading ${productOf(spec)} is disabled for this account` })
}

/** The `otoco_config` entries: objects, as many as the link type takes. */
function configEntries(config: unknown, type: LinkType): Params[] {
  const list = typeof config === 'string' ? parseJson(config) : config
  const [min, max] = SECONDARY_COUNT[type]
  if (!Array.isArray(list) || list.length < min || list.length > max)
    throw invalidParams('otoco_config', `${type} takes ${min === max ? min : `${min} to ${max}`} order(s)`)
  if (!list.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e)))
    throw invalidParams('otoco_config', 'must be a list of order objects')
  return list as Params[]
}

/** Over HTTP GET a list arrives as JSON text. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw invalidParams('otoco_config', 'must be a list of order objects')
  }
}
