/**
 * Order queries: `private/get_open_orders`, `private/get_open_orders_by_currency`,
 * `private/get_open_orders_by_instrument`, `private/get_order_state`,
 * `private/get_order_state_by_label`, `private/get_user_trades_by_instrument`,
 * `private/get_user_trades_by_currency`. Each sees only the caller's own (sub)account.
 */
import { invalidParams, type MethodHandler } from '../../contract.js'
import { readAccount } from '../accountTree.js'
import {
  callerAccount,
  currencyParam,
  type ExchangeCore,
  inCurrency,
  instrumentParam,
  ownOrder,
} from '../exchangeCore.js'
import { KINDS } from '../instruments.js'
import { isTriggerType, type OrderRecord, orderWire } from '../orderRecord.js'
import { optionalBoolean, optionalEnum, optionalNumber, type Params, requiredString } from '../params.js'

const OPEN_ORDER_TYPES = [
  'all',
  'limit',
  'trigger_all',
  'stop_all',
  'stop_limit',
  'stop_market',
  'take_all',
  'take_limit',
  'take_market',
  'trailing_all',
  'trailing_stop',
] as const

function typeFilter(params: Params): (order: OrderRecord) => boolean {
  const type = optionalEnum(params, 'type', OPEN_ORDER_TYPES) ?? 'all'
  switch (type) {
    case 'all':
      return () => true
    case 'limit':
      return (o) => !isTriggerType(o.type)
    case 'trigger_all':
      return (o) => isTriggerType(o.type)
    case 'stop_all':
      return (o) => o.type === 'stop_limit' || o.type === 'stop_market'
    case 'take_all':
      return (o) => o.type === 'take_limit' || o.type === 'take_market'
    case 'trailing_all':
      return (o) => o.type === 'trailing_stop'
    default:
      return (o) => o.type === type
  }
}

/** Trades to return when `count` is not given, as Deribit's default. */
export const DEFAULT_TRADES_COUNT = 10

/** `{trades, has_more}` of the newest `count` trades, sorted as `sorting` asks (default newest first). */
function tradesPage(params: Params, all: readonly Record<string, unknown>[]): unknown {
  const trades = all.filter(inRange(params))
  const count = Math.max(1, Math.min(1000, Math.floor(optionalNumber(params, 'count') ?? DEFAULT_TRADES_COUNT)))
  const sorting = optionalEnum(params, 'sorting', ['asc', 'desc', 'default'] as const) ?? 'desc'
  // One store: recent and historical records are the same (README, parameters without effect).
  optionalBoolean(params, 'historical')
  const newest = trades.slice(-count)
  return { trades: sorting === 'asc' ? newest : newest.reverse(), has_more: trades.length > count }
}

/** The number in a trade id (`"1234"`, `"ETH-1234"`), for `start_id` / `end_id` ranges. */
function idNumber(id: unknown): number {
  const text = String(id)
  return Number(text.slice(text.lastIndexOf('-') + 1))
}

/** The `start_/end_timestamp`, `start_/end_seq` and `start_/end_id` bounds of a trade query, inclusive. */
function inRange(params: Params): (t: Record<string, unknown>) => boolean {
  const bounds: Array<[string, string, (t: Record<string, unknown>) => number]> = [
    ['start_timestamp', 'end_timestamp', (t) => t.timestamp as number],
    ['start_seq', 'end_seq', (t) => t.trade_seq as number],
    ['start_id', 'end_id', (t) => idNumber(t.trade_id)],
  ]
  const checks = bounds.map(([lo, hi, of]) => {
    const read = (name: string) => {
      const v = params[name]
      if (v === undefined) return undefined
      const n = typeof v === 'string' ? idNumber(v) : optionalNumber(params, name)
      if (n === undefined || Number.isNaN(n)) throw invalidParams(name, 'not a valid bound')
      return n
    }
    const min = read(lo) ?? Number.NEGATIVE_INFINITY
    const max = read(hi) ?? Number.POSITIVE_INFINITY
    return (t: Record<string, unknown>) => of(t) >= min && of(t) <= max
  })
  return (t) => checks.every((c) => c(t))
}

/** Handlers for order queries. */
export function orderQueryMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { engine } = core
  const open = (accountId: number, match: (o: OrderRecord) => boolean): unknown[] =>
    [...engine.liveOrders(accountId)].filter(match).map(orderWire)
  return {
    'private/get_open_orders': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const kind = optionalEnum(params, 'kind', [...KINDS])
      const byType = typeFilter(params)
      return open(account.id, (o) => (kind === undefined || o.instrument.kind === kind) && byType(o))
    },
    'private/get_open_orders_by_currency': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const currency = currencyParam(params, true)
      const kind = optionalEnum(params, 'kind', [...KINDS])
      const byType = typeFilter(params)
      return open(
        account.id,
        (o) => inCurrency(o.instrument, currency) && (kind === undefined || o.instrument.kind === kind) && byType(o),
      )
    },
    'private/get_open_orders_by_instrument': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const spec = instrumentParam(core, params)
      const byType = typeFilter(params)
      return open(account.id, (o) => o.instrument === spec && byType(o))
    },
    'private/get_order_state': (params, ctx) => orderWire(ownOrder(core, params, callerAccount(core, ctx))),
    'private/get_order_state_by_label': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const currency = currencyParam(params, true)
      const label = requiredString(params, 'label')
      return engine
        .ordersOf(account.id)
        .filter((o) => o.label === label && inCurrency(o.instrument, currency))
        .map(orderWire)
    },
    'private/get_user_trades_by_instrument': (params, ctx) => {
      const account = readAccount(core.ledger, callerAccount(core, ctx), params)
      const spec = instrumentParam(core, params)
      return tradesPage(
        params,
        engine.tradesOf(account.id).filter((t) => t.instrument_name === spec.instrument_name),
      )
    },
    'private/get_user_trades_by_currency': (params, ctx) => {
      const account = readAccount(core.ledger, callerAccount(core, ctx), params)
      const currency = currencyParam(params, true)
      const kind = optionalEnum(params, 'kind', [...KINDS, 'any'])
      // History reaches instruments that have since expired.
      const names = new Set(
        [...core.instruments, ...core.listing.expired.values()]
          .filter((s) => inCurrency(s, currency) && (kind === undefined || kind === 'any' || s.kind === kind))
          .map((s) => s.instrument_name),
      )
      return tradesPage(
        params,
        engine.tradesOf(account.id).filter((t) => names.has(t.instrument_name as string)),
      )
    },
  }
}
