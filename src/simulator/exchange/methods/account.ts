/**
 * Account methods: `private/get_positions`, `private/get_position`,
 * `private/get_account_summary`, `private/get_account_summaries`. Each reads only the
 * caller's ledger; the summary carries the account's `id` and its `limits`.
 */
import type { MethodHandler } from '../../contract.js'
import { accountIdentity, accountSummaryWire, positionWire } from '../accountViews.js'
import { callerAccount, currencyParam, type ExchangeCore, inCurrency, instrumentParam } from '../exchangeCore.js'
import { CURRENCIES, KINDS } from '../instruments.js'
import { optionalEnum } from '../params.js'

/** Handlers for balances and positions. */
export function accountMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { ledger, market, engine } = core
  return {
    'private/get_positions': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const currency = params.currency === undefined ? 'any' : currencyParam(params, true)
      const kind = optionalEnum(params, 'kind', [...KINDS, 'any'])
      return [...account.positions.values()]
        .filter(
          (p) =>
            p.size !== 0 &&
            inCurrency(p.instrument, currency) &&
            (kind === undefined || kind === 'any' || p.instrument.kind === kind),
        )
        .map((p) => positionWire(p, market))
    },
    'private/get_position': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const spec = instrumentParam(core, params)
      return positionWire(ledger.position(account, spec), market)
    },
    'private/get_account_summary': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      return accountSummaryWire(account, currency, market, engine.liveOrders(account.id))
    },
    'private/get_account_summaries': (_params, ctx) => {
      const account = callerAccount(core, ctx)
      return {
        ...accountIdentity(account),
        summaries: CURRENCIES.map((c) => accountSummaryWire(account, c, market, engine.liveOrders(account.id))),
      }
    },
  }
}
