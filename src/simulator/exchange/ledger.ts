/**
 * Per-account books of record: a balance per currency and a position per instrument, updated
 * by fills (fees, realized P&L, option premiums). Each (sub)account has its own ledger, so
 * nothing one account does shows in another's.
 */
import { SimRpcError } from '../contract.js'
import type { InstrumentSpec } from './instruments.js'
import { CURRENCIES } from './instruments.js'
import { round8 } from './numbers.js'
import { TransactionLog } from './transactionLog.js'

/** Balances every new account starts with. */
export const DEFAULT_STARTING_BALANCE: Readonly<Record<string, number>> = { BTC: 10, ETH: 100, USDC: 100_000 }

/** One currency's cash state. */
export interface CurrencyBalance {
  balance: number
  feesPaid: number
  sessionRpl: number
}

/** A position: signed size (USD for inverse futures, coin otherwise) and its average entry. */
export interface Position {
  readonly instrument: InstrumentSpec
  size: number
  averagePrice: number
  realizedPnl: number
}

/** Optional facts about an account the server knows and the exchange echoes. */
export interface AccountProfile {
  /** Account type reported by the account summary. @default 'main' */
  type?: 'main' | 'subaccount'
  /** Username reported by the account summary. @default `sim_user_{accountId}` */
  username?: string
  /** The main account of a subaccount. @default the account's own id */
  mainAccountId?: number
}

/** What a user can change about a (sub)account through account-management methods. */
export interface AccountSettings {
  username: string
  email: string
  /** An email set by `set_email_for_subaccount`, waiting for a confirmation the simulator never sends. */
  notConfirmedEmail: string | undefined
  loginEnabled: boolean
  receiveNotifications: boolean
  emailLanguage: string
  /** Ids of the announcements the account marked read. */
  readonly readAnnouncements: Set<number>
}

/**
 * One settlement, delivery or bankruptcy event of a position (`get_settlement_history_*`),
 * in Deribit's shape; whoever settles positions appends it with {@link Ledger.recordSettlement}.
 */
export interface SettlementEntry {
  readonly type: 'settlement' | 'delivery' | 'bankruptcy'
  readonly timestamp: number
  readonly instrument_name: string
  readonly [field: string]: unknown
}

/** Settings of an account that limit its trading. */
export interface TradingRestrictions {
  /** Currencies locked (`user.lock`): no new orders settle in them. */
  readonly locked: Set<string>
  /** Self-trade prevention: cancel the resting order, or reject the incoming one. */
  selfTrading: { mode: 'cancel_maker' | 'reject_taker'; extendedToSubaccounts: boolean }
  /** Products (`perpetual`, `futures`, `options`, ...) the account may not trade. */
  disabledProducts: Set<string>
  affiliate: boolean
}

/** One (sub)account's ledger. */
export interface Account {
  readonly id: number
  readonly type: 'main' | 'subaccount'
  /** The main account's id (its own id for a main account). */
  readonly mainAccountId: number
  readonly createdMs: number
  readonly settings: AccountSettings
  readonly balances: Map<string, CurrencyBalance>
  readonly positions: Map<string, Position>
  /** The account's cash movements, oldest first (`private/get_transaction_log`). */
  readonly log: TransactionLog
  /** Settlements of the account's positions, oldest first. */
  readonly settlements: SettlementEntry[]
  readonly restrictions: TradingRestrictions
}

/** The result of booking one fill for one side. */
export interface FillBooking {
  fee: number
  /** Realized P&L of the part that closed an existing position, in the settlement currency. */
  profitLoss: number
}

/** Unrealized P&L of a position at `mark`, in the settlement currency. */
export function unrealizedPnl(position: Position, mark: number): number {
  const { size, averagePrice, instrument } = position
  if (size === 0 || averagePrice === 0) return 0
  if (instrument.kind === 'option' || instrument.instrument_type === 'linear')
    return round8(size * (mark - averagePrice))
  return round8(size * (1 / averagePrice - 1 / mark))
}

/** The trading fee of a fill, in the settlement currency. */
export function feeOf(spec: InstrumentSpec, amount: number, price: number, maker: boolean): number {
  const rate = maker ? spec.maker_commission : spec.taker_commission
  if (spec.kind === 'option') return round8(Math.min(rate * amount, 0.125 * price * amount))
  if (spec.instrument_type === 'linear') return round8(rate * amount * price)
  return round8((rate * amount) / price)
}

export class Ledger {
  private readonly accounts = new Map<number, Account>()
  private readonly removed = new Set<number>()
  private nextLogId = 1

  constructor(
    private readonly startingBalance: Readonly<Record<string, number>>,
    private readonly now: () => number,
  ) {}

  /** Creates an account's ledger (idempotent). */
  open(id: number, profile: AccountProfile = {}): Account {
    const existing = this.accounts.get(id)
    if (existing !== undefined) return existing
    const balances = new Map<string, CurrencyBalance>()
    for (const currency of CURRENCIES) {
      balances.set(currency, { balance: this.startingBalance[currency] ?? 0, feesPaid: 0, sessionRpl: 0 })
    }
    const username = profile.username ?? `sim_user_${id}`
    const account: Account = {
      id,
      type: profile.type ?? 'main',
      mainAccountId: profile.mainAccountId ?? id,
      createdMs: this.now(),
      settings: {
        username,
        email: `${username}@simulator.invalid`,
        notConfirmedEmail: undefined,
        loginEnabled: (profile.type ?? 'main') === 'main',
        receiveNotifications: true,
        emailLanguage: 'en',
        readAnnouncements: new Set(),
      },
      balances,
      positions: new Map(),
      log: new TransactionLog(id, this.now, () => this.nextLogId++),
      settlements: [],
      restrictions: {
        locked: new Set(),
        selfTrading: { mode: 'cancel_maker', extendedToSubaccounts: false },
        disabledProducts: new Set(),
        affiliate: false,
      },
    }
    this.accounts.set(id, account)
    return account
  }

  /** The account if it exists (never opens one). */
  find(id: number): Account | undefined {
    return this.accounts.get(id)
  }

  /** A main account's subaccounts, in creation order. */
  subaccountsOf(mainAccountId: number): Account[] {
    return [...this.accounts.values()].filter((a) => a.mainAccountId === mainAccountId && a.id !== mainAccountId)
  }

  /** The account with this username, if any. */
  byUsername(username: string): Account | undefined {
    for (const account of this.accounts.values()) if (account.settings.username === username) return account
    return undefined
  }

  /** Forgets an account (`private/remove_subaccount`; the caller has checked it is empty). */
  remove(id: number): void {
    this.accounts.delete(id)
    this.removed.add(id)
  }

  /** Appends a settlement event to an account's history (kept bounded, oldest dropped first). */
  recordSettlement(account: Account, entry: SettlementEntry): void {
    account.settlements.push(entry)
    if (account.settlements.length > 20_000) account.settlements.splice(0, 10_000)
  }

  /**
   * Moves cash in or out of an account (transfers, deposits, withdrawals) and logs it;
   * `change` is signed. The caller has checked that a debit is covered.
   */
  moveCash(account: Account, currency: string, change: number, type: string, info: Record<string, unknown>): void {
    const cash = account.balances.get(currency)
    if (cash === undefined) return
    cash.balance = round8(cash.balance + change)
    account.log.record(currency, type, { change, cashflow: change, balance: cash.balance, commission: 0, info })
  }

  /**
   * An account's ledger; opened on first use so a call never fails for a missing ledger.
   * A removed subaccount stays gone: its surviving tokens no longer reach anything (13009).
   */
  get(id: number): Account {
    const account = this.accounts.get(id)
    if (account !== undefined) return account
    if (this.removed.has(id)) throw new SimRpcError(13009, 'unauthorized')
    return this.open(id)
  }

  /** Every account's ledger (settlement walks them at an expiry). */
  all(): Iterable<Account> {
    return this.accounts.values()
  }

  /** The position of an account in an instrument (a zero position when it never traded it). */
  position(account: Account, spec: InstrumentSpec): Position {
    let position = account.positions.get(spec.instrument_name)
    if (position === undefined) {
      position = { instrument: spec, size: 0, averagePrice: 0, realizedPnl: 0 }
      account.positions.set(spec.instrument_name, position)
    }
    return position
  }

  /** Books a fill: moves the position, realizes P&L on the closed part, charges the fee and premium. */
  applyFill(
    account: Account,
    spec: InstrumentSpec,
    direction: 'buy' | 'sell',
    amount: number,
    price: number,
    maker: boolean,
    /** A position move between own accounts: no fee. */
    feeFree = false,
  ): FillBooking {
    const cash = account.balances.get(spec.settlement_currency)
    const position = this.position(account, spec)
    const delta = direction === 'buy' ? amount : -amount
    const fee = feeFree ? 0 : feeOf(spec, amount, price, maker)
    let profitLoss = 0
    const size = position.size
    if (size === 0 || Math.sign(size) === Math.sign(delta)) {
      position.averagePrice = averageEntry(spec, size, position.averagePrice, delta, price)
      position.size = round8(size + delta)
    } else {
      const closing = Math.min(Math.abs(delta), Math.abs(size)) * Math.sign(size)
      // Option premiums are paid in cash below, so only futures realize P&L on the position.
      if (spec.kind !== 'option') profitLoss = unrealizedPnl({ ...position, size: closing }, price)
      position.size = round8(size + delta)
      if (position.size === 0) position.averagePrice = 0
      else if (Math.sign(position.size) !== Math.sign(size)) position.averagePrice = price
    }
    position.realizedPnl = round8(position.realizedPnl + profitLoss)
    if (cash !== undefined) {
      const premium = spec.kind === 'option' ? -delta * price : 0
      cash.balance = round8(cash.balance + profitLoss - fee + premium)
      cash.feesPaid = round8(cash.feesPaid + fee)
      cash.sessionRpl = round8(cash.sessionRpl + profitLoss)
      const change = round8(profitLoss - fee + premium)
      account.log.record(spec.settlement_currency, 'trade', {
        change,
        cashflow: change,
        balance: cash.balance,
        commission: fee,
        instrument_name: spec.instrument_name,
        side: direction,
        amount,
        price,
        position: position.size,
        mark_price: price,
        info: {},
      })
    }
    return { fee, profitLoss }
  }
}

/** The average entry after adding `delta` at `price` to a same-direction position. */
function averageEntry(spec: InstrumentSpec, size: number, average: number, delta: number, price: number): number {
  const a = Math.abs(size)
  const b = Math.abs(delta)
  if (a === 0) return price
  // Inverse contracts average harmonically: each USD of size is worth 1/price coins.
  if (spec.kind === 'future' && spec.instrument_type === 'reversed') return round8((a + b) / (a / average + b / price))
  return round8((a * average + b * price) / (a + b))
}
