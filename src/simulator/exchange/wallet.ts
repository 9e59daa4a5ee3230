/**
 * The simulated wallet over the ledgers: transfers between accounts, deposit addresses,
 * deposits and withdrawals. Money leaves the source when a movement is submitted and reaches
 * its destination when it completes; what waits (transfers to another user, withdrawals)
 * completes {@link PENDING_MS} later on the simulator clock and can be cancelled until then.
 * Nothing here ever touches a blockchain: a withdrawal to another simulated account's deposit
 * address arrives there as a deposit, any other address just leaves the simulator. A deposit
 * from an outside wallet the account has not declared is held (`pending`, clearance
 * `pending_user_input`) until the account names its originator; only then is it credited.
 */
import { SimRpcError } from '../contract.js'
import { type AddressRecord, DepositAddresses } from './depositAddresses.js'
import type { Account, Ledger } from './ledger.js'
import { round8 } from './numbers.js'

/** How long (simulator clock) a transfer to another user or a withdrawal waits before it completes. */
export const PENDING_MS = 60_000

/** Flat withdrawal fee per currency. */
export const WITHDRAWAL_FEES: Readonly<Record<string, number>> = { BTC: 0.0001, ETH: 0.001, USDC: 1 }

/** Deribit's withdrawal `priority` names and the number the withdrawal object reports for each. */
export const PRIORITIES: Readonly<Record<string, number>> = {
  very_low: 0.15,
  low: 0.5,
  mid: 1,
  high: 1.2,
  very_high: 1.5,
  extreme_high: 2,
  insane: 3,
}

/** One transfer between two simulated accounts. */
export interface TransferRecord {
  readonly id: number
  readonly from: number
  readonly to: number
  readonly type: 'user' | 'subaccount'
  readonly currency: string
  readonly amount: number
  readonly nonce: string | undefined
  readonly createdMs: number
  updatedMs: number
  state: 'prepared' | 'confirmed' | 'cancelled'
}

/** One withdrawal. */
export interface WithdrawalRecord {
  readonly id: number
  readonly accountId: number
  readonly currency: string
  readonly address: string
  readonly amount: number
  readonly fee: number
  readonly priority: number
  readonly nonce: string | undefined
  readonly transactionId: string
  readonly createdMs: number
  updatedMs: number
  confirmedMs: number | null
  state: 'unconfirmed' | 'completed' | 'cancelled'
}

/** Deribit's travel-rule clearance states a simulated deposit passes through. */
export type ClearanceState = 'pending_user_input' | 'success'

/** Who sent a deposit, as the account declared it (`private/set_clearance_originator`). */
export interface Originator {
  readonly isPersonal: boolean
  readonly firstName: string | undefined
  readonly lastName: string | undefined
  readonly companyName: string | undefined
  readonly address: string
}

/** One deposit. */
export interface DepositRecord {
  readonly accountId: number
  readonly currency: string
  readonly address: string
  readonly amount: number
  readonly transactionId: string
  readonly sourceAddress: string
  readonly receivedMs: number
  updatedMs: number
  state: 'pending' | 'completed'
  clearance: ClearanceState
  originator: Originator | undefined
}

export class Wallet {
  readonly transfers: TransferRecord[] = []
  readonly withdrawals: WithdrawalRecord[] = []
  readonly deposits: DepositRecord[] = []
  /** Deposit addresses, so that money sent to one reaches its account. */
  readonly addresses: DepositAddresses
  private nextId = 1
  private pending = 0

  constructor(
    private readonly ledger: Ledger,
    private readonly now: () => number,
    /** What an account may move out in a currency now (balance not tied up as margin). */
    private readonly withdrawable: (account: Account, currency: string) => number,
  ) {
    this.addresses = new DepositAddresses(now)
  }

  /** Completes the transfers and withdrawals whose wait is over. Cheap when nothing waits. */
  process(): void {
    if (this.pending === 0) return
    const now = this.now()
    for (const t of this.transfers) {
      if (t.state === 'prepared' && now >= t.createdMs + PENDING_MS) this.completeTransfer(t)
    }
    for (const w of this.withdrawals) {
      if (w.state === 'unconfirmed' && now >= w.createdMs + PENDING_MS) this.completeWithdrawal(w)
    }
  }

  /** Moves `amount` from `source` to `destination`; a transfer to another user waits. */
  transfer(
    source: Account,
    destination: Account,
    currency: string,
    amount: number,
    type: 'user' | 'subaccount',
    nonce: string | undefined,
  ): TransferRecord {
    if (nonce !== undefined) {
      const earlier = this.transfers.find((t) => t.from === source.id && t.nonce === nonce)
      if (earlier !== undefined) return earlier
    }
    this.debit(source, currency, amount, 'transfer', { to: destination.settings.username })
    const now = this.now()
    const record: TransferRecord = {
      id: this.nextId++,
      from: source.id,
      to: destination.id,
      type,
      currency,
      amount,
      nonce,
      createdMs: now,
      updatedMs: now,
      state: 'prepared',
    }
    this.transfers.push(record)
    if (type === 'subaccount') this.completeTransfer(record)
    else this.pending++
    return record
  }

  /** Cancels a waiting transfer and refunds its source. */
  cancelTransfer(record: TransferRecord): void {
    if (record.state !== 'prepared')
      throw new SimRpcError(-32602, 'Invalid params', { param: 'id', reason: 'transfer is not pending' })
    record.state = 'cancelled'
    record.updatedMs = this.now()
    this.pending--
    const source = this.ledger.find(record.from)
    if (source !== undefined)
      this.ledger.moveCash(source, record.currency, record.amount, 'transfer', { cancelled: record.id })
  }

  /** Starts a withdrawal: `amount` plus the fee leave the account now. */
  withdraw(
    account: Account,
    currency: string,
    address: string,
    amount: number,
    priority: number,
    nonce: string | undefined,
  ): WithdrawalRecord {
    if (nonce !== undefined) {
      const earlier = this.withdrawals.find((w) => w.accountId === account.id && w.nonce === nonce)
      if (earlier !== undefined) return earlier
    }
    const fee = WITHDRAWAL_FEES[currency] ?? 0
    const id = this.nextId++
    this.debit(account, currency, round8(amount + fee), 'withdrawal', { address, fee })
    const now = this.now()
    const record: WithdrawalRecord = {
      id,
      accountId: account.id,
      currency,
      address,
      amount,
      fee,
      priority,
      nonce,
      transactionId: transactionIdOf(currency, id),
      createdMs: now,
      updatedMs: now,
      confirmedMs: null,
      state: 'unconfirmed',
    }
    this.withdrawals.push(record)
    this.pending++
    return record
  }

  /** Cancels an unconfirmed withdrawal and refunds amount and fee. */
  cancelWithdrawal(record: WithdrawalRecord): void {
    if (record.state !== 'unconfirmed')
      throw new SimRpcError(-32602, 'Invalid params', { param: 'id', reason: 'withdrawal is not unconfirmed' })
    record.state = 'cancelled'
    record.updatedMs = this.now()
    this.pending--
    const account = this.ledger.find(record.accountId)
    if (account !== undefined)
      this.ledger.moveCash(account, record.currency, round8(record.amount + record.fee), 'withdrawal', {
        cancelled: record.id,
      })
  }

  /**
   * Receives a deposit (a test's faucet, or a completed withdrawal to a simulated address) at
   * `to`, by default the account's current deposit address. A `held` deposit waits for
   * {@link clearDeposit}; any other is credited at once.
   */
  deposit(
    account: Account,
    currency: string,
    amount: number,
    sourceAddress: string,
    options: { to?: AddressRecord; held?: boolean } = {},
  ): DepositRecord {
    const address = options.to ?? this.addresses.current(account, currency) ?? this.addresses.create(account, currency)
    const now = this.now()
    const record: DepositRecord = {
      accountId: account.id,
      currency,
      address: address.address,
      amount,
      transactionId: transactionIdOf(currency, this.nextId++),
      sourceAddress,
      receivedMs: now,
      updatedMs: now,
      state: 'pending',
      clearance: 'pending_user_input',
      originator: undefined,
    }
    this.deposits.push(record)
    if (options.held !== true) this.credit(record)
    return record
  }

  /** Clears a held deposit with its declared originator and credits it. */
  clearDeposit(record: DepositRecord, originator: Originator): void {
    if (record.state !== 'pending')
      throw new SimRpcError(-32602, 'Invalid params', {
        param: 'deposit_id',
        reason: 'deposit is not waiting for originator information',
      })
    record.originator = originator
    record.updatedMs = this.now()
    this.credit(record)
  }

  private credit(record: DepositRecord): void {
    record.state = 'completed'
    record.clearance = 'success'
    const account = this.ledger.find(record.accountId)
    if (account !== undefined)
      this.ledger.moveCash(account, record.currency, record.amount, 'deposit', { address: record.address })
  }

  private debit(account: Account, currency: string, amount: number, type: string, info: Record<string, unknown>) {
    if (!(amount > 0)) throw new SimRpcError(-32602, 'Invalid params', { param: 'amount', reason: 'must be positive' })
    if (amount > this.withdrawable(account, currency) + 1e-12) throw new SimRpcError(10009, 'not_enough_funds')
    this.ledger.moveCash(account, currency, -amount, type, info)
  }

  private completeTransfer(record: TransferRecord): void {
    if (record.type === 'user') this.pending--
    record.state = 'confirmed'
    record.updatedMs = this.now()
    const destination = this.ledger.find(record.to)
    const source = this.ledger.find(record.from)
    if (destination === undefined) {
      // The destination was removed while the transfer waited: the money goes back.
      if (source !== undefined) this.ledger.moveCash(source, record.currency, record.amount, 'transfer', {})
      return
    }
    this.ledger.moveCash(destination, record.currency, record.amount, 'transfer', {
      from: source?.settings.username ?? String(record.from),
    })
  }

  private completeWithdrawal(record: WithdrawalRecord): void {
    this.pending--
    record.state = 'completed'
    record.updatedMs = this.now()
    record.confirmedMs = record.updatedMs
    const owner = this.addresses.owner(record.address)
    const account = owner === undefined ? undefined : this.ledger.find(owner.accountId)
    if (owner !== undefined && account !== undefined && owner.currency === record.currency)
      this.deposit(account, record.currency, record.amount, `sim-withdrawal-${record.id}`, { to: owner })
  }
}

function transactionIdOf(currency: string, n: number): string {
  return `sim${currency.toLowerCase()}tx${n.toString(16).padStart(12, '0')}`
}
