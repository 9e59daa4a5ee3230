/**
 * History and margin queries: `private/get_order_history_by_instrument|currency`,
 * `private/get_open_orders_by_label`, `private/get_user_trades_by_order`,
 * `private/get_user_trades_by_instrument_and_time|currency_and_time`,
 * `private/get_trigger_order_history`, `private/get_order_margin_by_ids`, `private/get_margins`,
 * `private/get_settlement_history_by_instrument|currency`. All read the engine's and the
 * ledger's records of the caller (or, where the spec allows `subaccount_id`, its subaccount).
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams, SimRpcError } from '../../contract.js'
import { readAccount } from '../accountTree.js'
import { marginFor, orderMargin } from '../accountViews.js'
import {
  anyInstrumentParam,
  callerAccount,
  currencyParam,
  type ExchangeCore,
  inCurrency,
  instrumentParam,
} from '../exchangeCore.js'
import { type InstrumentSpec, KINDS, tickAt } from '../instruments.js'
import type { SettlementEntry } from '../ledger.js'
import { isLive, isTriggerType, MARKET_MAKER_ACCOUNT, type OrderRecord, orderWire } from '../orderRecord.js'
import {
  optionalBoolean,
  optionalEnum,
  optionalNumber,
  optionalString,
  type Params,
  refuseUnless,
  requiredString,
} from '../params.js'

type Trade = Record<string, unknown>

function countParam(params: Params, fallback: number, max: number): number {
  const count = optionalNumber(params, 'count') ?? fallback
  if (!Number.isInteger(count) || count < 1 || count > max)
    throw invalidParams('count', `must be an integer between 1 and ${max}`)
  return count
}

function offsetParam(params: Params): number {
  const offset = optionalNumber(params, 'offset') ?? 0
  if (!Number.isInteger(offset) || offset < 0) throw invalidParams('offset', 'must be a non-negative integer')
  return offset
}

function timeParam(params: Params, name: string): number {
  const value = optionalNumber(params, name)
  if (value === undefined) throw invalidParams(name, 'value required')
  if (!Number.isInteger(value) || value < 0) throw invalidParams(name, 'must be a timestamp in ms')
  return value
}

/** How far back order history reaches without `include_old`, as on Deribit. */
const RECENT_ORDERS_MS = 2 * 86_400_000

/**
 * Closed orders, newest first: filled or cancelled ones, the unfilled cancelled only when asked,
 * those last updated more than two days ago only with `include_old`.
 */
function historyPage(params: Params, orders: readonly OrderRecord[], now: number): unknown {
  const count = countParam(params, 20, 1000)
  const unfilled = optionalBoolean(params, 'include_unfilled') ?? false
  const old = optionalBoolean(params, 'include_old') ?? false
  // One store: recent and historical records are the same (README, parameters without effect).
  optionalBoolean(params, 'historical')
  const paged = optionalBoolean(params, 'with_continuation') ?? false
  const token = optionalString(params, 'continuation')
  refuseUnless(params, 'offset', token === undefined, 'not with continuation')
  const closed = orders
    .filter((o) => !isLive(o) && (unfilled || o.filled > 0) && (old || o.updatedMs >= now - RECENT_ORDERS_MS))
    .reverse()
  // A continuation is the id of the last order of the previous page: the next page starts after it.
  let start = offsetParam(params)
  if (token !== undefined) {
    const at = closed.findIndex((o) => o.id === token)
    if (at < 0) throw invalidParams('continuation', 'unknown continuation')
    start = at + 1
  }
  const page = closed.slice(start, start + count)
  if (!paged) return page.map(orderWire)
  const more = start + count < closed.length
  return { orders: page.map(orderWire), continuation: more ? (page.at(-1)?.id ?? null) : null }
}

/** `{trades, has_more}` in a time window, sorted as asked (default newest first). */
function timedTrades(params: Params, trades: readonly Trade[]): unknown {
  const start = timeParam(params, 'start_timestamp')
  const end = timeParam(params, 'end_timestamp')
  const count = countParam(params, 10, 1000)
  const sorting = optionalEnum(params, 'sorting', ['asc', 'desc', 'default'] as const) ?? 'desc'
  optionalBoolean(params, 'historical')
  const inWindow = trades.filter((t) => (t.timestamp as number) >= start && (t.timestamp as number) <= end)
  const ordered = sorting === 'asc' ? inWindow : [...inWindow].reverse()
  return { trades: ordered.slice(0, count), has_more: ordered.length > count }
}

function namesIn(core: ExchangeCore, currency: string, kind: string | undefined): Set<string> {
  // History reaches instruments that have since expired.
  return new Set(
    [...core.instruments, ...core.listing.expired.values()]
      .filter((s) => inCurrency(s, currency) && (kind === undefined || kind === 'any' || s.kind === kind))
      .map((s) => s.instrument_name),
  )
}

/** One entry of `get_trigger_order_history`: what happened last to a trigger order. */
function triggerEntry(order: OrderRecord): Record<string, unknown> {
  const wire = orderWire(order)
  const request = order.state === 'cancelled' ? 'cancel' : order.triggered ? 'trigger:order' : 'trigger:create'
  return {
    trigger: order.trigger,
    timestamp: order.updatedMs,
    trigger_price: order.triggerPrice ?? null,
    trigger_offset: wire.trigger_offset ?? null,
    trigger_order_id: order.id,
    order_id: order.triggered ? order.id : '',
    order_state: order.triggered && order.state !== 'cancelled' ? 'triggered' : order.state,
    request,
    post_only: order.postOnly,
    reduce_only: order.reduceOnly,
    order_type: order.type.endsWith('_limit') ? 'limit' : 'market',
    price: wire.price,
    instrument_name: order.instrument.instrument_name,
    amount: order.amount,
    direction: order.direction,
    label: order.label,
    source: 'api',
  }
}

function settlementsPage(params: Params, entries: readonly SettlementEntry[]): unknown {
  const type = optionalEnum(params, 'type', ['settlement', 'delivery', 'bankruptcy'] as const)
  const count = countParam(params, 20, 1000)
  const start = optionalNumber(params, 'search_start_timestamp')
  const below = optionalString(params, 'continuation')
  const chosen = entries
    .filter((e) => (type === undefined || e.type === type) && (start === undefined || e.timestamp <= start))
    .filter((e) => below === undefined || e.timestamp < Number(below))
    .reverse()
  const settlements = chosen.slice(0, count)
  const last = settlements.at(-1)
  return {
    settlements,
    continuation: chosen.length > count && last !== undefined ? String(last.timestamp) : 'none',
  }
}

/** Handlers for order history, trade history and margin queries. */
export function orderHistoryMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { engine, ledger } = core
  return {
    'private/get_order_history_by_instrument': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const name = anyInstrumentParam(core, params).instrument_name
      return historyPage(
        params,
        engine.ordersOf(account.id).filter((o) => o.instrument.instrument_name === name),
        core.now(),
      )
    },
    'private/get_order_history_by_currency': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const names = namesIn(core, currencyParam(params, false), optionalEnum(params, 'kind', [...KINDS, 'any']))
      return historyPage(
        params,
        engine.ordersOf(account.id).filter((o) => names.has(o.instrument.instrument_name)),
        core.now(),
      )
    },
    'private/get_open_orders_by_label': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const label = optionalString(params, 'label') ?? ''
      return [...engine.liveOrders(account.id)]
        .filter((o) => o.label === label && inCurrency(o.instrument, currency))
        .map(orderWire)
    },
    'private/get_user_trades_by_order': (params, ctx) => {
      const account = readAccount(ledger, callerAccount(core, ctx), params)
      const id = requiredString(params, 'order_id')
      const order = engine.order(id)
      if (order === undefined || order.accountId !== account.id) throw new SimRpcError(10004, 'order_not_found')
      const sorting = optionalEnum(params, 'sorting', ['asc', 'desc', 'default'] as const) ?? 'asc'
      optionalBoolean(params, 'historical')
      const trades = engine.tradesOf(account.id).filter((t) => t.order_id === id)
      return sorting === 'desc' ? [...trades].reverse() : trades
    },
    'private/get_user_trades_by_instrument_and_time': (params, ctx) => {
      const account = readAccount(ledger, callerAccount(core, ctx), params)
      const name = anyInstrumentParam(core, params).instrument_name
      return timedTrades(
        params,
        engine.tradesOf(account.id).filter((t) => t.instrument_name === name),
      )
    },
    'private/get_user_trades_by_currency_and_time': (params, ctx) => {
      const account = readAccount(ledger, callerAccount(core, ctx), params)
      const names = namesIn(core, currencyParam(params, false), optionalEnum(params, 'kind', [...KINDS, 'any']))
      return timedTrades(
        params,
        engine.tradesOf(account.id).filter((t) => names.has(t.instrument_name as string)),
      )
    },
    'private/get_trigger_order_history': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const name = optionalString(params, 'instrument_name')
      if (name !== undefined) instrumentParam(core, params)
      const count = countParam(params, 20, 1000)
      const below = optionalString(params, 'continuation')
      const chosen = engine
        .ordersOf(account.id)
        .filter(
          (o) =>
            o.trigger !== undefined &&
            inCurrency(o.instrument, currency) &&
            (name === undefined || o.instrument.instrument_name === name),
        )
        .reverse()
      const start = below === undefined ? 0 : chosen.findIndex((o) => o.id === below) + 1
      const entries = chosen.slice(start, start + count)
      const more = chosen.length > start + count
      // Deribit's continuation is a string; `none` marks the last page.
      return { entries: entries.map(triggerEntry), continuation: more ? (entries.at(-1)?.id ?? 'none') : 'none' }
    },
    'private/get_order_margin_by_ids': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const ids = params.ids
      if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string'))
        throw invalidParams('ids', 'must be a list of order ids')
      return (ids as string[]).map((id) => {
        const order = engine.order(id)
        if (order === undefined || order.accountId === MARKET_MAKER_ACCOUNT)
          throw new SimRpcError(10004, 'order_not_found')
        if (order.accountId !== account.id) throw new SimRpcError(10029, 'not_owner_of_order')
        return {
          order_id: id,
          initial_margin: isLive(order) && !isTriggerType(order.type) ? orderMargin(order) : 0,
          initial_margin_currency: order.instrument.settlement_currency,
        }
      })
    },
    'private/get_margins': (params, ctx) => {
      callerAccount(core, ctx)
      const spec = instrumentParam(core, params)
      const amount = optionalNumber(params, 'amount')
      const price = optionalNumber(params, 'price')
      if (amount === undefined || !(amount > 0)) throw invalidParams('amount', 'must be positive')
      if (price === undefined || !(price > 0)) throw invalidParams('price', 'must be positive')
      const band = bandOf(core, spec)
      return {
        buy: marginFor(spec, 'buy', amount, price),
        sell: marginFor(spec, 'sell', amount, price),
        min_price: band.min,
        max_price: band.max,
      }
    },
    'private/get_settlement_history_by_instrument': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const spec = anyInstrumentParam(core, params)
      return settlementsPage(
        params,
        account.settlements.filter((e) => e.instrument_name === spec.instrument_name),
      )
    },
    'private/get_settlement_history_by_currency': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const names = namesIn(core, currencyParam(params, false), 'any')
      return settlementsPage(
        params,
        account.settlements.filter((e) => names.has(e.instrument_name)),
      )
    },
  }
}

function bandOf(core: ExchangeCore, spec: InstrumentSpec): { min: number; max: number } {
  return core.market.band(spec, tickAt(spec, core.market.mark(spec)))
}
