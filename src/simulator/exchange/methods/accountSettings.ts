/**
 * Account settings and what-ifs: `private/get_email_language`, `private/set_email_language`,
 * `private/get_new_announcements`, `private/set_announcement_as_read`,
 * `private/get_user_locks`, `private/change_margin_model`, `private/set_self_trading_config`,
 * `private/set_disabled_trading_products`, `private/get_affiliate_program_info`,
 * `private/enable_affiliate_program`, `private/simulate_portfolio`, `private/move_positions`.
 * Settings that change trading (self-trade mode, disabled products, locks) are enforced by the
 * order path; the simulator margins only `segregated_sm`, so other margin models are refused.
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams, notSimulated, SimRpcError } from '../../contract.js'
import { reachableAccount, requiredAccountId, sameTree } from '../accountTree.js'
import { marginsOf, portfolioWire } from '../accountViews.js'
import { callerAccount, currencyParam, type ExchangeCore } from '../exchangeCore.js'
import { CURRENCIES } from '../instruments.js'
import type { Account, Position } from '../ledger.js'
import { round8 } from '../numbers.js'
import { optionalBoolean, optionalEnum, optionalNumber, type Params, requiredString } from '../params.js'

const LANGUAGES = ['en', 'ko', 'zh', 'ja', 'ru']
const MARGIN_MODELS = ['cross_pm', 'cross_sm', 'segregated_pm', 'segregated_sm'] as const
const PRODUCTS = ['perpetual', 'futures', 'options', 'future_combos', 'option_combos', 'spots'] as const

/** The positions `simulated_positions` describes (`{instrument_name: size}`), added to or replacing the account's. */
function whatIf(core: ExchangeCore, account: Account, params: Params): Account {
  const raw = params.simulated_positions
  const parsed = typeof raw === 'string' ? safeJson(raw) : (raw ?? {})
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw invalidParams('simulated_positions', 'must be an object of instrument name to size')
  const add = optionalBoolean(params, 'add_positions') ?? true
  const positions = new Map<string, Position>()
  if (add) for (const [name, p] of account.positions) positions.set(name, { ...p })
  for (const [name, size] of Object.entries(parsed as Record<string, unknown>)) {
    const spec = core.byName.get(name)
    if (spec === undefined || typeof size !== 'number')
      throw invalidParams('simulated_positions', `unknown instrument or size: ${name}`)
    const current = positions.get(name)
    const mark = core.market.mark(spec)
    const total = round8((current?.size ?? 0) + size)
    positions.set(name, {
      instrument: spec,
      size: total,
      averagePrice: current?.averagePrice || mark,
      realizedPnl: current?.realizedPnl ?? 0,
    })
  }
  return { ...account, positions }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw invalidParams('simulated_positions', 'must be JSON')
  }
}

/** Handlers for account settings. */
export function accountSettingsMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { ledger, engine } = core
  return {
    'private/get_email_language': (_params, ctx) => callerAccount(core, ctx).settings.emailLanguage,
    'private/set_email_language': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const language = requiredString(params, 'language')
      if (!LANGUAGES.includes(language)) throw invalidParams('language', `one of ${LANGUAGES.join(', ')}`)
      account.settings.emailLanguage = language
      return 'ok'
    },
    'private/get_new_announcements': (_params, ctx) => {
      const read = callerAccount(core, ctx).settings.readAnnouncements
      return core.feeds.announcements.filter((a) => !read.has(a.id)).reverse()
    },
    'private/set_announcement_as_read': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const id = optionalNumber(params, 'announcement_id')
      if (id === undefined || !core.feeds.announcements.some((a) => a.id === id))
        throw invalidParams('announcement_id', 'no such announcement')
      account.settings.readAnnouncements.add(id)
      return 'ok'
    },
    'private/get_user_locks': (_params, ctx) => {
      const account = callerAccount(core, ctx)
      return CURRENCIES.map((currency) => ({ currency, enabled: account.restrictions.locked.has(currency) }))
    },
    'private/change_margin_model': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const id = optionalNumber(params, 'user_id')
      const account = id === undefined ? caller : reachableAccount(ledger, caller, id, 'user_id')
      const model = optionalEnum(params, 'margin_model', MARGIN_MODELS)
      if (model === undefined) throw invalidParams('margin_model', 'value required')
      optionalBoolean(params, 'dry_run')
      if (model !== 'segregated_sm') throw notSimulated('margin_model', `the ${model} margin model is not simulated`)
      return CURRENCIES.map((currency) => {
        const m = marginsOf(account, currency, core.market, engine.liveOrders(account.id))
        const state = {
          initial_margin_rate: m.equity > 0 ? round8(m.initialMargin / m.equity) : 0,
          maintenance_margin_rate: m.equity > 0 ? round8(m.maintenanceMargin / m.equity) : 0,
          available_balance: m.availableFunds,
        }
        return { currency, old_state: state, new_state: { ...state } }
      })
    },
    'private/set_self_trading_config': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const mode = optionalEnum(params, 'mode', ['reject_taker', 'cancel_maker'] as const)
      if (mode === undefined) throw invalidParams('mode', 'value required')
      const extended = optionalBoolean(params, 'extended_to_subaccounts')
      if (extended === undefined) throw invalidParams('extended_to_subaccounts', 'value required')
      if (optionalBoolean(params, 'block_rfq_self_match_prevention') === true)
        throw notSimulated('block_rfq_self_match_prevention', 'block RFQs are not simulated')
      account.restrictions.selfTrading = { mode, extendedToSubaccounts: extended }
      return 'ok'
    },
    'private/set_disabled_trading_products': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const account = reachableAccount(ledger, caller, requiredAccountId(params, 'user_id'), 'user_id')
      const products = params.trading_products
      if (!Array.isArray(products) || !products.every((p) => (PRODUCTS as readonly unknown[]).includes(p)))
        throw invalidParams('trading_products', `a list of ${PRODUCTS.join(', ')}`)
      account.restrictions.disabledProducts = new Set(products as string[])
      return 'ok'
    },
    'private/get_affiliate_program_info': (_params, ctx) => {
      const account = callerAccount(core, ctx)
      const enabled = account.restrictions.affiliate
      return {
        is_enabled: enabled,
        number_of_affiliates: 0,
        ...(enabled ? { link: `https://simulator.invalid/reg-${account.id}` } : {}),
        received: { btc: 0, eth: 0 },
      }
    },
    'private/enable_affiliate_program': (_params, ctx) => {
      callerAccount(core, ctx).restrictions.affiliate = true
      return 'ok'
    },
    'private/simulate_portfolio': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const hypothetical = whatIf(core, account, params)
      const p = portfolioWire(hypothetical, currency, core.market, engine.liveOrders(account.id))
      return { ...p, available_subaccount_transfer_funds: p.available_withdrawal_funds }
    },
    'private/move_positions': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const source = reachableAccount(ledger, caller, requiredAccountId(params, 'source_uid'), 'source_uid')
      const target = reachableAccount(ledger, caller, requiredAccountId(params, 'target_uid'), 'target_uid')
      if (source === target || !sameTree(source, target))
        throw invalidParams('target_uid', 'must differ from source_uid')
      if (params.currency !== undefined) currencyParam(params, false)
      const trades = params.trades
      if (!Array.isArray(trades) || trades.length === 0) throw invalidParams('trades', 'must be a non-empty list')
      const moves = (trades as Params[]).map((t, i) => {
        const spec = core.byName.get(String(t.instrument_name))
        if (spec === undefined) throw new SimRpcError(10020, 'invalid_or_unsupported_instrument')
        const position = source.positions.get(spec.instrument_name)
        const amount = optionalNumber(t, 'amount')
        if (position === undefined || position.size === 0) throw invalidParams(`trades[${i}]`, 'no position to move')
        if (amount === undefined || !(amount > 0) || amount > Math.abs(position.size))
          throw invalidParams(`trades[${i}].amount`, "must be positive and at most the position's size")
        const price = optionalNumber(t, 'price') ?? position.averagePrice
        return { spec, amount, price, direction: position.size > 0 ? ('sell' as const) : ('buy' as const) }
      })
      return {
        trades: moves.map((m) => {
          ledger.applyFill(source, m.spec, m.direction, m.amount, m.price, true, true)
          ledger.applyFill(target, m.spec, m.direction === 'sell' ? 'buy' : 'sell', m.amount, m.price, true, true)
          return {
            source_uid: source.id,
            target_uid: target.id,
            instrument_name: m.spec.instrument_name,
            direction: m.direction === 'sell' ? 'buy' : 'sell',
            price: m.price,
            amount: m.amount,
          }
        }),
      }
    },
  }
}
