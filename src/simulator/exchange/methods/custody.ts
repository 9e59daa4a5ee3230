/** `private/list_custody_accounts` over the custody accounts operators linked ({@link CustodyAccounts}). */
import type { MethodHandler } from '../../contract.js'
import type { CustodyAccounts } from '../custody.js'
import { callerAccount, currencyParam, type ExchangeCore } from '../exchangeCore.js'

/** Handler of `private/list_custody_accounts`. */
export function custodyMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const custody: CustodyAccounts = core.custody
  return {
    'private/list_custody_accounts': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      return custody.list(caller.id, currencyParam(params, false)).map((a) => ({
        currency: a.currency,
        name: a.name,
        balance: a.balance,
        // The simulator has no custody withdrawals.
        pending_withdrawal_balance: 0,
        auto_deposit: a.autoDeposit,
        external_id: a.externalId,
      }))
    },
  }
}
