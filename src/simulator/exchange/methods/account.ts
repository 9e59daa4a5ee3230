/**
 * Account methods: `private/get_positions`, `private/get_position`,
 * `private/get_account_summary`, `private/get_account_summaries`, `private/get_transaction_log`.
 * Each reads the caller's ledger, or with `subaccount_id` one of its subaccounts' (main
 * accounts only); the summary carries the account's `id` and its `limits`.
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams } from '../../contract.js'
import { readAccount } from '../accountTree.js'
import { accountIdentity, accountSummaryWire, positionWire } from '../accountViews.js'
import { callerAccount, currencyParam, type ExchangeCore, inCurrency, instrumentParam } from '../exchangeCore.js'
import { CURRENCIES, KINDS } from '../instruments.js'
import { optionalBoolean, optionalEnum, optionalNumber, optionalString, type Params } from '../params.js'

/** Most entries one `get_transaction_log` page returns. */
const MAX_LOG_COUNT = 250

/** A required integer timestamp param. */
function timestampParam(params: Params, name: string): number {
  const value = optionalNumber(params, name)
  if (value === undefined) throw invalidParams(name, 'value required')
  if (!Number.isInteger(value) || value < 0) throw invalidParams(name, 'must be a timestamp in ms')
  return value
}

/** Handlers for balances and positions. */
export function accountMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { ledger, market, engine } = core
  return {
    'private/get_positions': (params, ctx) => {
      const account = readAccount(ledger, callerAccount(core, ctx), params)
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
      const account = readAccount(ledger, callerAccount(core, ctx), params)
      const currency = currencyParam(params, false)
      const extended = optionalBoolean(params, 'extended') ?? false
      return accountSummaryWire(account, currency, market, engine.liveOrders(account.id), extended)
    },
    'private/get_account_summaries': (params, ctx) => {
      const account = readAccount(ledger, callerAccount(core, ctx), params)
      const extended = optionalBoolean(params, 'extended') ?? false
      return {
        ...accountIdentity(account, extended),
        summaries: CURRENCIES.map((c) =>
          accountSummaryWire(account, c, market, engine.liveOrders(account.id), extended),
        ),
      }
    },
    'private/get_transaction_log': (params, ctx) => {
      const account = readAccount(ledger, callerAccount(core, ctx), params)
      const currency = currencyParam(params, false)
      const start = timestampParam(params, 'start_timestamp')
      const end = timestampParam(params, 'end_timestamp')
      const count = optionalNumber(params, 'count') ?? 100
      if (!Number.isInteger(count) || count < 1 || count > MAX_LOG_COUNT)
        throw invalidParams('count', `must be an integer between 1 and ${MAX_LOG_COUNT}`)
      const continuation = optionalNumber(params, 'continuation')
      const page = account.log.page(currency, start, end, count, optionalString(params, 'query'), continuation)
      const username = account.settings.username
      return { continuation: page.continuation, logs: page.logs.map((e) => ({ ...e, username })) }
    },
  }
}
