/**
 * Valid params for every method of the table: hand-picked recipes where a call needs state (an
 * order to cancel, a refresh token, a subaccount), generated from the table for the rest. An
 * engineer who implements a method whose generated params are not enough adds a recipe here.
 */
import { METHOD_TABLE } from '../../src/protocol/generated/methodTable.js'
import type { ParamSpec } from '../../src/protocol/specTable.js'
import type { WsRpc } from './rpcClients.js'

type Json = Record<string, unknown>

/** What a recipe may use: the account, a setup connection on it, and the caller's own tokens. */
export interface RecipeContext {
  /** An authenticated connection on the main account, for preparing state. */
  setup: WsRpc
  clientId: string
  clientSecret: string
  subaccountId: number
  /** The tokens the method's caller authenticated with. */
  refreshToken: string
  /** Simulator time, ms. */
  now: number
  /** A deposit address of another user, for transfers to a user; undefined when none could be made. */
  otherUserAddress: string | undefined
  /** Makes a deposit waiting for its originator and returns its `deposit_id`. */
  heldDeposit: () => Promise<Json>
}

/** The perpetual every walk trades on. */
export const INSTRUMENT = 'BTC-PERPETUAL'

let labels = 0

/** Places a post-only buy at the best bid (it rests, never fills) and returns its id and label. */
export async function restingOrder(setup: WsRpc): Promise<{ order_id: string; label: string; price: number }> {
  const ticker = (await setup.result('public/ticker', { instrument_name: INSTRUMENT })) as Json
  const price = Number(ticker.best_bid_price ?? ticker.mark_price)
  const label = `conformance-${++labels}`
  const r = (await setup.result('private/buy', {
    instrument_name: INSTRUMENT,
    amount: 10,
    type: 'limit',
    price,
    post_only: true,
    label,
  })) as { order: Json }
  return { order_id: String(r.order.order_id), label, price }
}

type Recipe = (ctx: RecipeContext) => Json | Promise<Json>

let names = 0
const unique = (prefix: string) => `${prefix}_${++names}`

/** A new API key of the main account: its id. */
async function apiKey(c: RecipeContext): Promise<number> {
  const key = (await c.setup.result('private/create_api_key', { max_scope: ['account:read'] })) as Json
  return Number(key.id)
}

/** A fill on the main account: the id of a market buy that traded. */
async function filledOrder(setup: WsRpc): Promise<string> {
  const r = (await setup.result('private/buy', { instrument_name: INSTRUMENT, amount: 10, type: 'market' })) as {
    order: Json
  }
  return String(r.order.order_id)
}

/** An MMP configuration for group `conformance` on btc_usd, which mass quotes and resets need. */
async function mmpConfig(c: RecipeContext): Promise<void> {
  await c.setup.result('private/set_mmp_config', {
    index_name: 'btc_usd',
    mmp_group: 'conformance',
    interval: 60,
    frozen_time: 0,
    quantity_limit: 1000,
    max_quote_quantity: 1000,
  })
}

const beneficiary = {
  beneficiary_vasp_name: 'Conformance VASP',
  beneficiary_vasp_did: 'did:example:conformance',
  beneficiary_company_name: 'Conformance Ltd',
  beneficiary_address: '1 Conformance Street',
  agreed: true,
  personal: false,
}

/** An address book entry's params (a fresh address unless given). */
const bookEntry = (type: string, address = unique('conformance-address')) => ({
  currency: 'BTC',
  type,
  address,
  label: unique('label'),
  ...beneficiary,
})

/**
 * Puts `address` in the main account's `type` book (withdrawals and transfers to users go only
 * there). The walk calls each method twice, so an entry may already be there: that refusal is fine.
 */
async function booked(c: RecipeContext, type: string): Promise<string> {
  const address = c.otherUserAddress ?? 'no_other_user'
  await c.setup.call('private/add_to_address_book', bookEntry(type, address))
  return address
}

/** A fresh address with a saved beneficiary. */
async function savedBeneficiary(c: RecipeContext): Promise<Json> {
  const address = unique('conformance-beneficiary')
  await c.setup.result('private/save_address_beneficiary', {
    currency: 'BTC',
    address,
    unhosted: false,
    ...beneficiary,
  })
  return { currency: 'BTC', address }
}

const market = () => ({ instrument_name: INSTRUMENT, amount: 10, type: 'market' })
const channels = (list: string[]) => () => ({ channels: list })

/** Hand-picked params, by method. */
export const RECIPES: Readonly<Record<string, Recipe>> = {
  'public/auth': (c) => ({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }),
  'public/exchange_token': (c) => ({ refresh_token: c.refreshToken, subject_id: c.subaccountId }),
  'public/fork_token': (c) => ({ refresh_token: c.refreshToken, session_name: 'conformance_fork' }),
  'public/hello': () => ({ client_name: 'conformance', client_version: '1.0.0' }),
  'public/set_heartbeat': () => ({ interval: 30 }),
  'public/subscribe': channels(['deribit_price_index.btc_usd']),
  'public/unsubscribe': channels(['deribit_price_index.btc_usd']),
  'private/subscribe': channels(['user.orders.any.any.raw']),
  'private/unsubscribe': channels(['user.orders.any.any.raw']),
  // BTC-PERPETUAL's id (generated ids name no instrument).
  'public/get_order_book_by_instrument_id': () => ({ instrument_id: 124972 }),
  // Over HTTP only the account scope exists; one recipe for both transports.
  'private/enable_cancel_on_disconnect': () => ({ scope: 'account' }),
  'private/disable_cancel_on_disconnect': () => ({ scope: 'account' }),
  'private/get_cancel_on_disconnect': () => ({ scope: 'account' }),
  'private/buy': market,
  'private/sell': market,
  'private/close_position': async (c) => {
    await c.setup.result('private/buy', market())
    return { instrument_name: INSTRUMENT, type: 'market' }
  },
  'private/cancel': async (c) => ({ order_id: (await restingOrder(c.setup)).order_id }),
  'private/get_order_state': async (c) => ({ order_id: (await restingOrder(c.setup)).order_id }),
  'private/edit': async (c) => {
    const o = await restingOrder(c.setup)
    return { order_id: o.order_id, amount: 20, price: o.price }
  },
  'private/edit_by_label': async (c) => {
    const o = await restingOrder(c.setup)
    return { label: o.label, instrument_name: INSTRUMENT, amount: 20, price: o.price }
  },
  'private/cancel_by_label': async (c) => ({ label: (await restingOrder(c.setup)).label }),
  'private/get_order_state_by_label': async (c) => ({ currency: 'BTC', label: (await restingOrder(c.setup)).label }),
  'private/get_order_margin_by_ids': async (c) => ({ ids: [(await restingOrder(c.setup)).order_id] }),
  'private/get_user_trades_by_order': async (c) => ({ order_id: await filledOrder(c.setup) }),
  'private/change_subaccount_name': (c) => ({ sid: c.subaccountId, name: unique('conformance') }),
  'private/set_email_for_subaccount': (c) => ({ sid: c.subaccountId, email: 'conformance@example.com' }),
  'private/remove_subaccount': async (c) => {
    const created = (await c.setup.result('private/create_subaccount')) as Json
    return { subaccount_id: created.id }
  },
  'private/submit_transfer_to_subaccount': (c) => ({ currency: 'BTC', amount: 0.01, destination: c.subaccountId }),
  'private/submit_transfer_between_subaccounts': (c) => ({
    currency: 'BTC',
    amount: 0.01,
    destination: c.subaccountId,
  }),
  'private/submit_transfer_to_user': async (c) => ({
    currency: 'BTC',
    amount: 0.01,
    destination: await booked(c, 'transfer'),
  }),
  'private/reset_mmp': async (c) => {
    await mmpConfig(c)
    return { index_name: 'btc_usd', mmp_group: 'conformance' }
  },
  'private/get_positions': async (c) => {
    await c.setup.result('private/buy', market())
    return { currency: 'BTC' }
  },
  'private/get_position': async (c) => {
    await c.setup.result('private/buy', market())
    return { instrument_name: INSTRUMENT }
  },
  'private/mass_quote': async (c) => {
    await mmpConfig(c)
    const t = (await c.setup.result('public/ticker', { instrument_name: INSTRUMENT })) as Json
    const side = (price: unknown) => ({ price: Number(price), amount: 10, post_only: true })
    return {
      quote_id: unique('quote'),
      mmp_group: 'conformance',
      quotes: [
        {
          instrument_name: INSTRUMENT,
          quote_set_id: 'conformance',
          bid: side(t.best_bid_price),
          ask: side(t.best_ask_price),
        },
      ],
    }
  },
  // A transfer to another user waits before it confirms, so it can still be cancelled.
  'private/cancel_transfer_by_id': async (c) => {
    const t = (await c.setup.result('private/submit_transfer_to_user', {
      currency: 'BTC',
      amount: 0.01,
      destination: await booked(c, 'transfer'),
    })) as Json
    return { currency: 'BTC', id: t.id }
  },
  'private/create_api_key': () => ({ max_scope: ['account:read', 'trade:read_write'], name: unique('key') }),
  'private/enable_api_key': async (c) => ({ id: await apiKey(c) }),
  'private/disable_api_key': async (c) => ({ id: await apiKey(c) }),
  'private/reset_api_key': async (c) => ({ id: await apiKey(c) }),
  'private/remove_api_key': async (c) => ({ id: await apiKey(c) }),
  'private/change_api_key_name': async (c) => ({ id: await apiKey(c), name: unique('key') }),
  'private/change_scope_in_api_key': async (c) => ({ id: await apiKey(c), max_scope: ['account:read'] }),
  'private/edit_api_key': async (c) => ({ id: await apiKey(c), max_scope: ['account:read'] }),
  'private/set_email_language': () => ({ language: 'en' }),
  'private/change_margin_model': () => ({ margin_model: 'segregated_sm', dry_run: true }),
  'private/set_announcement_as_read': async (c) => {
    const [first] = (await c.setup.result('public/get_announcements', {})) as Json[]
    return { announcement_id: first?.id }
  },
  'private/move_positions': async (c) => {
    await c.setup.result('private/buy', market())
    const me = (await c.setup.result('private/get_account_summary', { currency: 'BTC' })) as Json
    return { source_uid: me.id, target_uid: c.subaccountId, trades: [{ instrument_name: INSTRUMENT, amount: 10 }] }
  },
  'private/withdraw': async (c) => ({ currency: 'BTC', address: await booked(c, 'withdrawal'), amount: 0.01 }),
  'private/cancel_withdrawal': async (c) => {
    const w = (await c.setup.result('private/withdraw', {
      currency: 'BTC',
      address: await booked(c, 'withdrawal'),
      amount: 0.01,
    })) as Json
    return { currency: 'BTC', id: w.id }
  },
  'private/add_to_address_book': () => bookEntry('withdrawal'),
  // The walk reaches add_to_address_book first, so this book has entries to describe.
  'private/get_address_book': () => ({ currency: 'BTC', type: 'withdrawal' }),
  'private/update_in_address_book': async (c) => {
    const entry = bookEntry('withdrawal')
    await c.setup.result('private/add_to_address_book', entry)
    return { ...entry, label: unique('relabelled') }
  },
  'private/remove_from_address_book': async (c) => {
    const entry = bookEntry('deposit_source')
    await c.setup.result('private/add_to_address_book', entry)
    return { currency: entry.currency, type: entry.type, address: entry.address }
  },
  'private/save_address_beneficiary': () => ({
    currency: 'BTC',
    address: unique('conformance-beneficiary'),
    unhosted: true,
    ...beneficiary,
  }),
  'private/get_address_beneficiary': savedBeneficiary,
  'private/delete_address_beneficiary': savedBeneficiary,
  'private/set_clearance_originator': async (c) => ({
    deposit_id: await c.heldDeposit(),
    originator: { is_personal: false, company_name: 'Sender Ltd', address: '2 Sender Road' },
  }),
  'private/pme/simulate': () => ({ currency: 'BTC', simulated_positions: { [INSTRUMENT]: -0.5 } }),
}

const PREFERRED = ['BTC', 'future', 'btc_usd', 'BTC-PERPETUAL', 'all', 'any', 'limit', 'buy']
const SUBACCOUNT_PARAMS = new Set(['sid', 'subaccount_id', 'subject_id', 'destination', 'user_id', 'target_uid'])

/** A valid-looking value of a param, from its table entry (an enum's preferred value, a number, …). */
export function generated(p: ParamSpec, ctx: RecipeContext): unknown {
  if (p.enum !== undefined) return PREFERRED.find((v) => p.enum?.includes(v)) ?? p.enum[0]
  if (p.name === 'instrument_name') return INSTRUMENT
  if (p.name === 'index_name') return 'btc_usd'
  if (SUBACCOUNT_PARAMS.has(p.name) && (p.type === 'integer' || p.type === 'number')) return ctx.subaccountId
  if (p.name === 'start_timestamp') return ctx.now - 3_600_000
  if (p.name === 'end_timestamp') return ctx.now
  switch (p.type) {
    case 'integer':
    case 'number':
      return p.minimum !== undefined && p.minimum > 10 ? p.minimum : 10
    case 'boolean':
      return false
    case 'array':
      return []
    case 'oneOf':
      return 'BTC'
    case 'object':
      return {}
    default:
      return 'conformance'
  }
}

/** Valid params for `method`: its recipe, else every required param generated from the table. */
export async function paramsFor(method: string, ctx: RecipeContext): Promise<Json> {
  const recipe = RECIPES[method]
  if (recipe !== undefined) return recipe(ctx)
  const spec = (METHOD_TABLE as Readonly<Record<string, { params: readonly ParamSpec[] }>>)[method]
  const out: Json = {}
  for (const p of spec?.params ?? []) if (p.required) out[p.name] = generated(p, ctx)
  return out
}
