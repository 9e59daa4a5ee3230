/**
 * The parameter audit: for every method the simulator implements and every param the spec
 * documents for it, a call with valid params plus that param, watched through the simulator's
 * param-read seam. A param is honoured when the handler reads it, refused when the answer is an
 * error naming it; anything else is silently ignored.
 */
import { METHOD_TABLE } from '../../src/protocol/generated/methodTable.js'
import { wsSignature } from '../../src/protocol/signature.js'
import type { MethodSpec } from '../../src/protocol/specTable.js'
import { NOT_SIMULATED_CODE } from '../../src/simulator/contract.js'
import type { Simulator } from '../../src/simulator/index.js'
import { listenToParamReads } from '../../src/simulator/paramReads.js'
import { generated, paramsFor, type RecipeContext } from './methodParams.js'
import { authenticate, recipeBase } from './methodWalk.js'
import { WsRpc } from './rpcClients.js'

type Json = Record<string, unknown>

/** What became of one documented param of one method. */
export interface ParamCheck {
  method: string
  /** The form of the call the param was given to (an order `type`), when the method has several. */
  form?: string
  param: string
  status: 'read' | 'refused' | 'ignored'
  /** The error answered, when there was one. */
  error?: unknown
}

const TABLE = METHOD_TABLE as Readonly<Record<string, MethodSpec>>
/** Methods that end the connection (nothing to audit after them) are audited on their own socket. */
const CLOSING = new Set(['private/logout'])

let nonces = 0
/** A `client_signature` authentication, signed now. */
function signed(c: RecipeContext): Json {
  const timestamp = Date.now()
  const nonce = `audit${++nonces}`
  const data = 'audit'
  return {
    grant_type: 'client_signature',
    client_id: c.clientId,
    timestamp,
    nonce,
    data,
    signature: wsSignature(c.clientSecret, timestamp, nonce, data),
  }
}

/**
 * Params that belong to one form of a call (a `grant_type` of `public/auth`): audited in that
 * form, since the others do not take them.
 */
const FORMS: Readonly<Record<string, Readonly<Record<string, (c: RecipeContext) => Json>>>> = {
  'public/auth': {
    refresh_token: (c) => ({ grant_type: 'refresh_token', refresh_token: c.refreshToken }),
    timestamp: signed,
    signature: signed,
    nonce: signed,
    data: signed,
  },
}

/** A resting price below the market, a trigger above it: valid for any order type. */
async function orderForm(c: RecipeContext, type: string): Promise<Json> {
  const t = (await c.setup.result('public/ticker', { instrument_name: 'BTC-PERPETUAL' })) as Json
  const bid = Number(t.best_bid_price)
  const base: Json = { instrument_name: 'BTC-PERPETUAL', amount: 10, type }
  if (['limit', 'stop_limit', 'take_limit'].includes(type)) base.price = bid - 500
  if (type.startsWith('stop_') || type.startsWith('take_')) {
    base.trigger = 'mark_price'
    base.trigger_price = type.startsWith('stop_') ? bid + 5000 : bid - 5000
  }
  if (type === 'trailing_stop') Object.assign(base, { trigger: 'mark_price', trigger_offset: 100 })
  return base
}

const ORDER_TYPES = [
  'limit',
  'stop_limit',
  'take_limit',
  'market',
  'stop_market',
  'take_market',
  'market_limit',
  'trailing_stop',
] as const
/** The types of order an edit can find resting (untriggered trigger orders included). */
const RESTING_TYPES = ['limit', 'stop_limit', 'take_limit', 'stop_market', 'take_market', 'trailing_stop'] as const

/** An edit of a resting order of `type`: its id, a new amount and, where the type has one, its price. */
async function editForm(c: RecipeContext, type: string): Promise<Json> {
  const order = await orderForm(c, type)
  const placed = (await c.setup.result('private/buy', order)) as { order: Json }
  const edit: Json = { order_id: placed.order.order_id, amount: 20 }
  if (order.price !== undefined) edit.price = order.price
  return edit
}

/**
 * Methods whose params depend on a form of the call (an order's `type`, the type of the order an
 * edit changes): each param is audited in every form, so one that only some forms take cannot be
 * dropped silently by the others.
 */
const VARIANTS: Readonly<
  Record<string, { forms: readonly string[]; build: (c: RecipeContext, form: string) => Promise<Json> }>
> = {
  'private/buy': { forms: ORDER_TYPES, build: orderForm },
  'private/sell': { forms: ORDER_TYPES, build: orderForm },
  'private/edit': { forms: RESTING_TYPES, build: editForm },
}

function namesParam(error: Json | undefined, param: string): boolean {
  const data = error?.data as Json | undefined
  return (
    data?.param === param || data?.name === param || (typeof data?.reason === 'string' && data.reason.includes(param))
  )
}

/** Audits every implemented method (or `only` those) over WebSocket; one call per (method, param). */
export async function auditParams(sim: Simulator, only?: readonly string[]): Promise<ParamCheck[]> {
  const account = sim.createAccount({ subaccounts: 1 })
  sim.announce('Audit', 'A walk of every param')
  const setup = await WsRpc.open(sim.url)
  const reads = new Set<string>()
  const checks: ParamCheck[] = []
  try {
    await authenticate(setup, account)
    const base = await recipeBase(sim, account, setup)
    await setup.result('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })
    for (const method of only ?? Object.keys(TABLE)) {
      const spec = TABLE[method]
      if (spec === undefined) continue
      const variants = VARIANTS[method]
      for (const form of variants?.forms ?? [undefined])
        for (const p of spec.params) {
          const ws = await WsRpc.open(sim.url)
          try {
            const auth = (await ws.result('public/auth', {
              grant_type: 'client_credentials',
              client_id: base.clientId,
              client_secret: base.clientSecret,
              scope: 'session:audit',
            })) as Json
            const ctx = { ...base, refreshToken: String(auth.refresh_token) }
            const special = FORMS[method]?.[p.name]
            const params =
              form !== undefined && variants !== undefined
                ? await variants.build(ctx, form)
                : special === undefined
                  ? await paramsFor(method, ctx)
                  : special(ctx)
            if (!(p.name in params)) params[p.name] = generated(p, ctx)
            reads.clear()
            listenToParamReads((m, name) => {
              if (m === method) reads.add(name)
            })
            const frame = await ws.call(method, params, CLOSING.has(method) ? 2000 : undefined)
            listenToParamReads(undefined)
            const error = frame?.error as Json | undefined
            if (error?.code === -32601 || (error?.code === NOT_SIMULATED_CODE && error.message === 'not_simulated'))
              break
            const status = reads.has(p.name)
              ? 'read'
              : error !== undefined && namesParam(error, p.name)
                ? 'refused'
                : 'ignored'
            checks.push({
              method,
              param: p.name,
              status,
              ...(form === undefined ? {} : { form }),
              ...(error === undefined ? {} : { error }),
            })
          } finally {
            listenToParamReads(undefined)
            await ws.close()
          }
        }
    }
  } finally {
    await setup.close()
  }
  return checks
}
