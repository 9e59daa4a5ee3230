/**
 * Order queries: `private/get_open_orders`, `private/get_open_orders_by_currency`,
 * `private/get_open_orders_by_instrument`, `private/get_order_state`,
 * `private/get_order_state_by_label`. Each sees only the caller's own (sub)account.
 */
import type { MethodHandler } from '../../contract.js'
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
import { optionalEnum, type Params, requiredString } from '../params.js'

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
    case 'stop_all':
      return (o) => isTriggerType(o.type)
    case 'stop_limit':
    case 'stop_market':
      return (o) => o.type === type
    default:
      return () => false
  }
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
  }
}
