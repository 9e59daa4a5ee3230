/**
 * Custody accounts linked to simulated accounts (`private/list_custody_accounts`). The simulator
 * has no custodian behind it: an operator links one with {@link CustodyAccounts.link} (a test
 * saying "this account keeps 5 BTC at Copper"), and the account then lists it. Funds at a
 * custodian are not trading balance, and nothing moves them in or out: the simulator has no
 * custody withdrawals, so `pending_withdrawal_balance` stays 0.
 */

/** The custodians Deribit names. */
export const CUSTODIANS = ['copper', 'cobo'] as const

/** A custodian. */
export type Custodian = (typeof CUSTODIANS)[number]

/** What an operator says about a custody account it links. */
export interface CustodyLink {
  currency: string
  name: Custodian
  /** Funds held at the custodian. @default 0 */
  balance?: number
  /** Whether funds arriving at the custodian move to the trading balance. @default false */
  autoDeposit?: boolean
}

/** One linked custody account. */
export interface CustodyAccount {
  readonly accountId: number
  readonly currency: string
  readonly name: Custodian
  readonly balance: number
  readonly autoDeposit: boolean
  readonly externalId: string
}

/** Every account's linked custody accounts. */
export class CustodyAccounts {
  private readonly accounts: CustodyAccount[] = []

  /** Links a custody account to `accountId`; one per custodian and currency. */
  link(accountId: number, link: CustodyLink): CustodyAccount {
    if (!(CUSTODIANS as readonly string[]).includes(link.name)) throw new RangeError(`unknown custodian ${link.name}`)
    const balance = link.balance ?? 0
    if (!(balance >= 0)) throw new RangeError('a custody balance cannot be negative')
    if (this.list(accountId, link.currency).some((a) => a.name === link.name))
      throw new RangeError(`account ${accountId} already has a ${link.name} ${link.currency} custody account`)
    const account: CustodyAccount = {
      accountId,
      currency: link.currency,
      name: link.name,
      balance,
      autoDeposit: link.autoDeposit ?? false,
      externalId: `sim-${link.name}-${accountId}-${link.currency.toLowerCase()}`,
    }
    this.accounts.push(account)
    return account
  }

  /** The account's custody accounts in `currency`, in the order they were linked. */
  list(accountId: number, currency: string): CustodyAccount[] {
    return this.accounts.filter((a) => a.accountId === accountId && a.currency === currency)
  }
}
