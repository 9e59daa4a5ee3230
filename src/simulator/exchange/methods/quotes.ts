/**
 * Market-maker methods: `private/set_mmp_config`, `private/get_mmp_config`,
 * `private/get_mmp_status`, `private/reset_mmp`, `private/mass_quote`, `private/cancel_quotes`.
 * A mass quote keeps at most one order per instrument, side and MMP group: quoting again amends
 * it (amount 0 cancels it). Each side that cannot be placed is reported in `errors` with its
 * code (10007/10008 outside the price band, 10009 funds, ...) while the other sides go ahead.
 */
import type { CallContext, MethodHandler } from '../../contract.js'
import { invalidParams, notSimulated, SimRpcError } from '../../contract.js'
import { callerAccount, type ExchangeCore } from '../exchangeCore.js'
import { type InstrumentSpec, KINDS, tickAt } from '../instruments.js'
import { INDEX_NAMES } from '../market.js'
import type { MmpConfig } from '../mmp.js'
import { isLive, type OrderRecord, orderWire } from '../orderRecord.js'
import { amountParam, checkValidUntil, priceParam } from '../orderRequest.js'
import {
  optionalBoolean,
  optionalEnum,
  optionalNumber,
  optionalString,
  type Params,
  refuseUnless,
  requiredString,
} from '../params.js'

const CANCEL_TYPES = [
  'delta',
  'quote_set_id',
  'instrument',
  'instrument_kind',
  'currency',
  'currency_pair',
  'all',
] as const

function indexParam(params: Params, required: boolean): string | undefined {
  const index = required ? requiredString(params, 'index_name') : optionalString(params, 'index_name')
  if (index !== undefined && index !== 'all' && !(INDEX_NAMES as readonly string[]).includes(index))
    throw invalidParams('index_name', 'unknown index')
  return index
}

function groupParam(params: Params): string | undefined {
  const group = optionalString(params, 'mmp_group')
  if (group === '') throw invalidParams('mmp_group', 'must not be empty')
  if (group !== undefined && group.length > 64) throw invalidParams('mmp_group', 'at most 64 characters')
  return group
}

function nonNegativeInt(params: Params, name: string): number {
  const value = optionalNumber(params, name)
  if (value === undefined) throw invalidParams(name, 'value required')
  if (!Number.isInteger(value) || value < 0) throw invalidParams(name, 'must be a non-negative integer')
  return value
}

function positive(params: Params, name: string): number | undefined {
  const value = optionalNumber(params, name)
  if (value !== undefined && !(value > 0)) throw invalidParams(name, 'must be positive')
  return value
}

function errorOf(err: unknown): { code: number; message: string } {
  if (err instanceof SimRpcError) return { code: err.code, message: err.message }
  return { code: 11094, message: 'internal_server_error' }
}

/** Handlers for MMP and mass quotes. */
export function quoteMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { engine, mmp } = core
  const quoteOf = (accountId: number, group: string, spec: InstrumentSpec, side: 'buy' | 'sell') =>
    [...engine.liveOrders(accountId)].find(
      (o) => o.quote?.mmpGroup === group && o.instrument === spec && o.direction === side,
    )

  /** Places or amends one side of a quote; returns the order. */
  const quoteSide = (
    ctx: CallContext,
    accountId: number,
    meta: { mmpGroup: string; quoteSetId: string; quoteId: string },
    spec: InstrumentSpec,
    side: 'buy' | 'sell',
    p: Params,
    config: MmpConfig,
  ): OrderRecord => {
    const amount = amountParam(p, spec, false)
    const price = priceParam(p, 'price', spec, false)
    if (price !== undefined) {
      const band = core.market.band(spec, tickAt(spec, core.market.mark(spec)))
      if (side === 'buy' && price > band.max) throw new SimRpcError(10007, `price_too_high ${band.max}`)
      if (side === 'sell' && price < band.min) throw new SimRpcError(10008, `price_too_low ${band.min}`)
    }
    if (amount !== undefined && config.max_quote_quantity !== undefined && amount > config.max_quote_quantity)
      throw invalidParams('amount', `above max_quote_quantity ${config.max_quote_quantity}`)
    const existing = quoteOf(accountId, meta.mmpGroup, spec, side)
    if (existing !== undefined) {
      if (optionalNumber(p, 'amount') === 0) {
        engine.cancel(existing, 'user_request')
        return existing
      }
      engine.edit(existing, {
        amount: amount ?? existing.amount,
        price,
        postOnly: optionalBoolean(p, 'post_only'),
        rejectPostOnly: optionalBoolean(p, 'reject_post_only'),
        reduceOnly: undefined,
        triggerPrice: undefined,
      })
      existing.quote = meta
      return existing
    }
    if (amount === undefined) throw invalidParams('amount', 'value required')
    if (price === undefined) throw invalidParams('price', 'value required')
    return engine.place({
      accountId,
      connectionId: ctx.connectionId,
      instrument: spec,
      direction: side,
      type: 'limit',
      timeInForce: 'good_til_cancelled',
      price,
      amount,
      label: '',
      postOnly: optionalBoolean(p, 'post_only') ?? false,
      rejectPostOnly: optionalBoolean(p, 'reject_post_only') ?? false,
      reduceOnly: false,
      trigger: undefined,
      triggerPrice: undefined,
      extras: { mmp: true, quote: meta },
    }).order
  }

  return {
    'private/set_mmp_config': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const config: MmpConfig = {
        index_name: indexParam(params, true) as string,
        interval: nonNegativeInt(params, 'interval'),
        frozen_time: nonNegativeInt(params, 'frozen_time'),
        block_rfq: optionalBoolean(params, 'block_rfq') ?? false,
      }
      if (config.interval > 3600) throw invalidParams('interval', 'at most 3600')
      const group = groupParam(params)
      if (group !== undefined) config.mmp_group = group
      for (const name of ['quantity_limit', 'delta_limit', 'vega_limit', 'max_quote_quantity'] as const) {
        const v = positive(params, name)
        if (v !== undefined) config[name] = v
      }
      const count = optionalNumber(params, 'trade_count_limit')
      if (count !== undefined) {
        if (!Number.isInteger(count) || count < 1)
          throw invalidParams('trade_count_limit', 'must be a positive integer')
        config.trade_count_limit = count
      }
      if (config.block_rfq) throw notSimulated('block_rfq', 'block RFQs are not simulated')
      mmp.set(account.id, config)
      return mmp.configs(account.id, config.index_name, group)
    },
    'private/get_mmp_config': (params, ctx) => {
      const account = callerAccount(core, ctx)
      refuseBlockRfq(params)
      return mmp.configs(account.id, indexParam(params, false), groupParam(params))
    },
    'private/get_mmp_status': (params, ctx) => {
      const account = callerAccount(core, ctx)
      refuseBlockRfq(params)
      return mmp.status(account.id, indexParam(params, false), groupParam(params))
    },
    'private/reset_mmp': (params, ctx) => {
      const account = callerAccount(core, ctx)
      refuseBlockRfq(params)
      const index = indexParam(params, true) as string
      if (!mmp.reset(account.id, index, groupParam(params)))
        throw invalidParams('index_name', 'no MMP configuration for this index and group')
      return 'ok'
    },
    'private/mass_quote': (params, ctx) => {
      const account = callerAccount(core, ctx)
      checkValidUntil(params, core.now())
      const quoteId = requiredString(params, 'quote_id')
      const group = groupParam(params)
      if (group === undefined) throw invalidParams('mmp_group', 'value required')
      const quotes = params.quotes
      if (!Array.isArray(quotes) || quotes.length === 0) throw invalidParams('quotes', 'must be a non-empty list')
      const detailed = optionalBoolean(params, 'detailed') ?? false
      optionalBoolean(params, 'wait_for_response')
      if (mmp.quotesFrozen(account.id)) throw new SimRpcError(10001, 'error', { reason: 'quotes_frozen' })
      const errors: Record<string, unknown>[] = []
      const touched: OrderRecord[] = []
      const trades: unknown[] = []
      engine.batch(() => {
        for (const q of quotes as Params[]) {
          const spec = core.byName.get(String(q.instrument_name))
          if (spec === undefined) {
            errors.push({
              instrument_name: q.instrument_name,
              error: { code: 10020, message: 'invalid_or_unsupported_instrument' },
            })
            continue
          }
          const quoteSetId = typeof q.quote_set_id === 'string' ? q.quote_set_id : ''
          for (const [key, side] of [
            ['bid', 'buy'],
            ['ask', 'sell'],
          ] as const) {
            const p = q[key]
            if (p === undefined) continue
            try {
              if (typeof p !== 'object' || p === null) throw invalidParams(key, 'must be an object')
              const config = mmp.configFor(account.id, spec.price_index, group)
              if (config === undefined)
                throw invalidParams('mmp_group', 'no MMP configuration for this group and index')
              mmp.checkNotFrozen(account.id, spec.price_index, group)
              const before = engine.tradesOf(account.id).length
              const order = quoteSide(
                ctx,
                account.id,
                { mmpGroup: group, quoteSetId, quoteId },
                spec,
                side,
                p as Params,
                config,
              )
              touched.push(order)
              trades.push(...engine.tradesOf(account.id).slice(before))
            } catch (err) {
              errors.push({ instrument_name: spec.instrument_name, side: key, error: errorOf(err) })
            }
          }
        }
      })
      return detailed ? { orders: touched.map(orderWire), trades, errors } : { errors }
    },
    'private/cancel_quotes': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const type = optionalEnum(params, 'cancel_type', CANCEL_TYPES)
      if (type === undefined) throw invalidParams('cancel_type', 'value required')
      const match = quoteFilter(core, params, type)
      const cancelled = engine.cancelWhere(account.id, (o) => o.quote !== undefined && isLive(o) && match(o))
      if (optionalBoolean(params, 'freeze_quotes') === true) mmp.freezeQuotes(account.id, 1000)
      if (optionalBoolean(params, 'detailed') === true) return cancelled.map(orderWire)
      return cancelled.length
    },
  }
}

/** MMP of block RFQs (`block_rfq: true`) is not simulated: no block RFQs are. */
function refuseBlockRfq(params: Params): void {
  if (optionalBoolean(params, 'block_rfq') === true) throw notSimulated('block_rfq', 'block RFQs are not simulated')
}

/** The params only one `cancel_type` of `cancel_quotes` reads; given to another type they are refused. */
const CANCEL_TYPE_PARAMS: Readonly<Record<string, readonly string[]>> = {
  delta: ['min_delta', 'max_delta'],
  quote_set_id: ['quote_set_id'],
  instrument: ['instrument_name'],
  instrument_kind: ['kind'],
}

/**
 * Which quotes a `cancel_quotes` request selects. The spec marks `currency` and `currency_pair`
 * required whatever the `cancel_type`, so a client following it sends them with every type: given
 * with another type they narrow its selection (to that currency's and that pair's quotes).
 */
function quoteFilter(
  core: ExchangeCore,
  params: Params,
  type: (typeof CANCEL_TYPES)[number],
): (o: OrderRecord) => boolean {
  for (const [other, names] of Object.entries(CANCEL_TYPE_PARAMS))
    for (const name of names) refuseUnless(params, name, other === type, `only for cancel_type ${other}`)
  const selected = byCancelType(core, params, type)
  const currency = type === 'currency' ? undefined : optionalString(params, 'currency')
  const pair = type === 'currency_pair' ? undefined : optionalString(params, 'currency_pair')
  return (o) =>
    selected(o) &&
    (currency === undefined ||
      o.instrument.settlement_currency === currency ||
      o.instrument.base_currency === currency) &&
    (pair === undefined || o.instrument.price_index === pair)
}

function byCancelType(
  core: ExchangeCore,
  params: Params,
  type: (typeof CANCEL_TYPES)[number],
): (o: OrderRecord) => boolean {
  switch (type) {
    case 'all':
      return () => true
    case 'quote_set_id': {
      const id = requiredString(params, 'quote_set_id')
      return (o) => o.quote?.quoteSetId === id
    }
    case 'instrument': {
      const name = requiredString(params, 'instrument_name')
      if (!core.byName.has(name)) throw new SimRpcError(10020, 'invalid_or_unsupported_instrument')
      return (o) => o.instrument.instrument_name === name
    }
    case 'instrument_kind': {
      const kind = optionalEnum(params, 'kind', [...KINDS, 'any'])
      if (kind === undefined) throw invalidParams('kind', 'value required')
      return (o) => kind === 'any' || o.instrument.kind === kind
    }
    case 'currency': {
      const currency = requiredString(params, 'currency')
      return (o) => o.instrument.settlement_currency === currency || o.instrument.base_currency === currency
    }
    case 'currency_pair': {
      const pair = requiredString(params, 'currency_pair')
      return (o) => o.instrument.price_index === pair
    }
    case 'delta': {
      const min = optionalNumber(params, 'min_delta') ?? Number.NEGATIVE_INFINITY
      const max = optionalNumber(params, 'max_delta') ?? Number.POSITIVE_INFINITY
      // The simulator prices options without greeks: an option counts delta 0.5, a future 1.
      return (o) => {
        const delta = o.instrument.kind === 'option' ? 0.5 : 1
        return delta >= min && delta <= max
      }
    }
  }
}
