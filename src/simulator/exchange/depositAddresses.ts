/**
 * Deposit addresses of the simulated accounts: each account's current one per currency, and who
 * owns any address ever made, so that a withdrawal or a transfer to one reaches its account.
 */
import type { Account } from './ledger.js'

/** A deposit address. */
export interface AddressRecord {
  readonly accountId: number
  readonly currency: string
  readonly address: string
  readonly createdMs: number
}

/** Every deposit address the simulator made. */
export class DepositAddresses {
  private readonly byKey = new Map<string, AddressRecord>()
  private next = 1

  constructor(private readonly now: () => number) {}

  /** A new deposit address; it becomes the account's current one for that currency. */
  create(account: Account, currency: string): AddressRecord {
    const record: AddressRecord = {
      accountId: account.id,
      currency,
      address: `sim-${currency.toLowerCase()}-${account.id}-${this.next++}`,
      createdMs: this.now(),
    }
    this.byKey.set(`${account.id}/${currency}`, record)
    this.byKey.set(record.address, record)
    return record
  }

  /** The account's current deposit address for a currency, if it made one. */
  current(account: Account, currency: string): AddressRecord | undefined {
    return this.byKey.get(`${account.id}/${currency}`)
  }

  /** The simulated account a deposit address belongs to. */
  owner(address: string): AddressRecord | undefined {
    return this.byKey.get(address)
  }
}
