/**
 * Subaccount management: `private/get_subaccounts`, `private/get_subaccounts_details`,
 * `private/create_subaccount`, `private/change_subaccount_name`, `private/toggle_subaccount_login`,
 * `private/set_email_for_subaccount`, `private/toggle_notifications_from_subaccount`,
 * `private/remove_subaccount`. Changes are main-account only and show in every later read.
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams } from '../../contract.js'
import { ownSubaccount, requireMain } from '../accountTree.js'
import { portfolioWire, positionWire } from '../accountViews.js'
import { callerAccount, currencyParam, type ExchangeCore } from '../exchangeCore.js'
import { CURRENCIES } from '../instruments.js'
import type { Account } from '../ledger.js'
import { orderWire } from '../orderRecord.js'
import { optionalBoolean, type Params, requiredString } from '../params.js'

/** Deribit usernames: letters, digits and underscores. */
const USERNAME = /^[A-Za-z0-9_]{3,32}$/
/** A deliberately loose email check: something@something.something. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** The fields every subaccount listing carries. */
function identityWire(account: Account): Record<string, unknown> {
  const s = account.settings
  return {
    id: account.id,
    username: s.username,
    system_name: s.username,
    email: s.email,
    type: account.type,
    tfa_enabled: false,
    is_password: false,
    receive_notifications: s.receiveNotifications,
  }
}

/** The full subaccount object of `get_subaccounts` and `create_subaccount`. */
function subaccountWire(core: ExchangeCore, account: Account, withPortfolio: boolean): Record<string, unknown> {
  const s = account.settings
  const wire: Record<string, unknown> = {
    ...identityWire(account),
    login_enabled: s.loginEnabled,
    security_keys_enabled: false,
    security_keys_assignments: [],
    margin_model: 'segregated_sm',
  }
  if (s.notConfirmedEmail !== undefined) wire.not_confirmed_email = s.notConfirmedEmail
  if (withPortfolio) {
    const portfolio: Record<string, unknown> = {}
    for (const currency of CURRENCIES) {
      const p = portfolioWire(account, currency, core.market, core.engine.liveOrders(account.id))
      const key = currency.toLowerCase()
      portfolio[key] = {
        currency: key,
        balance: p.balance,
        equity: p.equity,
        margin_balance: p.margin_balance,
        available_funds: p.available_funds,
        available_withdrawal_funds: p.available_withdrawal_funds,
        initial_margin: p.initial_margin,
        maintenance_margin: p.maintenance_margin,
        additional_reserve: p.additional_reserve,
        spot_reserve: p.spot_reserve,
      }
    }
    wire.portfolio = portfolio
  }
  return wire
}

function nameParam(core: ExchangeCore, params: Params): string {
  const name = requiredString(params, 'name')
  if (!USERNAME.test(name)) throw invalidParams('name', '3 to 32 letters, digits or underscores')
  if (core.ledger.byUsername(name) !== undefined) throw invalidParams('name', 'username already taken')
  return name
}

/** `enable` / `disable`, as `toggle_subaccount_login` spells its state. */
function onOffParam(params: Params): boolean {
  const state = requiredString(params, 'state')
  if (state !== 'enable' && state !== 'disable') throw invalidParams('state', 'must be one of enable, disable')
  return state === 'enable'
}

/** Handlers for subaccount management. */
export function subaccountMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { ledger, engine } = core
  return {
    'private/get_subaccounts': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const withPortfolio = optionalBoolean(params, 'with_portfolio') ?? false
      if (caller.type !== 'main') {
        // A subaccount sees its main account's identity only, and itself in full.
        const main = ledger.find(caller.mainAccountId)
        const head = main === undefined ? [] : [identityWire(main)]
        return [...head, subaccountWire(core, caller, withPortfolio)]
      }
      return [caller, ...ledger.subaccountsOf(caller.id)].map((a) => subaccountWire(core, a, withPortfolio))
    },
    'private/get_subaccounts_details': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      requireMain(caller)
      const currency = currencyParam(params, false)
      const withOrders = optionalBoolean(params, 'with_open_orders') ?? false
      return ledger.subaccountsOf(caller.id).map((sub) => {
        const wire: Record<string, unknown> = {
          uid: sub.id,
          positions: [...sub.positions.values()]
            .filter((p) => p.size !== 0 && p.instrument.settlement_currency === currency)
            .map((p) => positionWire(p, core.market)),
        }
        if (withOrders)
          wire.open_orders = [...engine.liveOrders(sub.id)]
            .filter((o) => o.instrument.settlement_currency === currency)
            .map(orderWire)
        return wire
      })
    },
    'private/create_subaccount': (_params, ctx) => {
      const caller = callerAccount(core, ctx)
      requireMain(caller)
      const id = core.directory.addSubaccount(caller.id)
      const account = ledger.open(id, { type: 'subaccount', username: `sim_${id}`, mainAccountId: caller.id })
      // A subaccount made through the API starts empty, as on Deribit: fund it with a transfer.
      for (const cash of account.balances.values()) cash.balance = 0
      return {
        ...subaccountWire(core, account, true),
        disabled_trading_products: [],
        trading_products_details: [],
        proof_id: '',
        proof_id_signature: '',
        referrals_count: 0,
      }
    },
    'private/change_subaccount_name': (params, ctx) => {
      const sub = ownSubaccount(ledger, callerAccount(core, ctx), params, 'sid')
      sub.settings.username = nameParam(core, params)
      return 'ok'
    },
    'private/toggle_subaccount_login': (params, ctx) => {
      const sub = ownSubaccount(ledger, callerAccount(core, ctx), params, 'sid')
      sub.settings.loginEnabled = onOffParam(params)
      return 'ok'
    },
    'private/set_email_for_subaccount': (params, ctx) => {
      const sub = ownSubaccount(ledger, callerAccount(core, ctx), params, 'sid')
      const email = requiredString(params, 'email')
      if (!EMAIL.test(email)) throw invalidParams('email', 'not an email address')
      // Deribit sends a confirmation link first; the simulator never confirms, so it stays pending.
      sub.settings.notConfirmedEmail = email
      return 'ok'
    },
    'private/toggle_notifications_from_subaccount': (params, ctx) => {
      const sub = ownSubaccount(ledger, callerAccount(core, ctx), params, 'sid')
      const state = optionalBoolean(params, 'state')
      if (state === undefined) throw invalidParams('state', 'value required')
      sub.settings.receiveNotifications = state
      return 'ok'
    },
    'private/remove_subaccount': (params, ctx) => {
      const sub = ownSubaccount(ledger, callerAccount(core, ctx), params, 'subaccount_id')
      const hasFunds = [...sub.balances.values()].some((b) => b.balance !== 0)
      const hasPositions = [...sub.positions.values()].some((p) => p.size !== 0)
      const hasOrders = [...engine.liveOrders(sub.id)].length > 0
      if (hasFunds || hasPositions || hasOrders)
        throw invalidParams('subaccount_id', 'subaccount still holds funds, positions or orders')
      ledger.remove(sub.id)
      core.directory.removeSubaccount(sub.id)
      return 'ok'
    },
  }
}
