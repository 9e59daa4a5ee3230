/**
 * What the method handlers share: the instruments, the market, the engine and the ledgers,
 * plus the lookups every handler repeats (instrument, currency, caller's account, own order).
 */
import { type AccountDirectory, type CallContext, invalidParams, SimRpcError } from '../contract.js'
import type { AddressBeneficiaries } from './addressBeneficiaries.js'
import type { AddressBook } from './addressBook.js'
import type { CustodyAccounts } from './custody.js'
import type { MarketHistory } from './history.js'
import { CURRENCIES, type InstrumentSpec } from './instruments.js'
import type { Account, Ledger } from './ledger.js'
import type { LinkedOrders } from './linkedOrders.js'
import type { Listing } from './listing.js'
import type { Market } from './market.js'
import type { MarketFeeds } from './marketFeeds.js'
import type { MatchingEngine } from './matchingEngine.js'
import type { Mmp } from './mmp.js'
import { MARKET_MAKER_ACCOUNT, type OrderRecord } from './orderRecord.js'
import { type Params, requiredString } from './params.js'
import type { Tape } from './tape.js'
import type { Wallet } from './wallet.js'

/** Shared state of one exchange. */
export interface ExchangeCore {
  /** Listed (live) instruments; the array changes in place as expiries roll. */
  readonly instruments: readonly InstrumentSpec[]
  /** Listed instruments by name. */
  readonly byName: ReadonlyMap<string, InstrumentSpec>
  /** Listed and expired instruments over time. */
  readonly listing: Listing
  /** Minute-by-minute index, volatility, premium and funding. */
  readonly history: MarketHistory
  /** Public trades and candles. */
  readonly tape: Tape
  /** Publishers of the public channel families beyond books, trades and tickers. */
  readonly feeds: MarketFeeds
  readonly market: Market
  readonly engine: MatchingEngine
  readonly linked: LinkedOrders
  readonly mmp: Mmp
  readonly ledger: Ledger
  readonly wallet: Wallet
  /** Withdrawal, transfer and deposit-source addresses of every account. */
  readonly addressBook: AddressBook
  /** Travel-rule beneficiary records of addresses. */
  readonly beneficiaries: AddressBeneficiaries
  /** Custody accounts operators linked. */
  readonly custody: CustodyAccounts
  /** The server's account registry (subaccounts created or removed here must reach it). */
  readonly directory: AccountDirectory
  readonly now: () => number
}

/** The instrument named by `params[name]`; 10020 when the exchange does not list it. */
export function instrumentParam(core: ExchangeCore, params: Params, name = 'instrument_name'): InstrumentSpec {
  const value = requiredString(params, name)
  const spec = core.byName.get(value)
  if (spec === undefined)
    throw new SimRpcError(10020, 'invalid_or_unsupported_instrument', { param: name, reason: 'instrument not found' })
  return spec
}

/** The instrument named by `params[name]`, listed or expired; 10020 when the exchange never listed it. */
export function anyInstrumentParam(core: ExchangeCore, params: Params, name = 'instrument_name'): InstrumentSpec {
  const value = requiredString(params, name)
  const spec = core.byName.get(value) ?? core.listing.expired.get(value)
  if (spec === undefined)
    throw new SimRpcError(10020, 'invalid_or_unsupported_instrument', { param: name, reason: 'instrument not found' })
  return spec
}

/** A `currency` param: one of the simulator's currencies, or `any` when allowed. */
export function currencyParam(params: Params, allowAny: boolean): string {
  const value = requiredString(params, 'currency')
  if ((CURRENCIES as readonly string[]).includes(value) || (allowAny && value === 'any')) return value
  throw invalidParams('currency', 'wrong currency')
}

/** True when an instrument belongs to `currency` (its settlement currency) or `currency` is `any`. */
export function inCurrency(spec: InstrumentSpec, currency: string): boolean {
  return currency === 'any' || spec.settlement_currency === currency
}

/** The caller's ledger. The server dispatches private methods only with an account, so this is a guard. */
export function callerAccount(core: ExchangeCore, ctx: CallContext): Account {
  // Account 0 is the simulated market maker: no caller may act as it.
  if (ctx.accountId === undefined || ctx.accountId === MARKET_MAKER_ACCOUNT)
    throw new SimRpcError(13009, 'unauthorized')
  // Waiting transfers and withdrawals complete lazily, before anyone can look at a balance.
  core.wallet.process()
  return core.ledger.get(ctx.accountId)
}

/** The caller's order by `params.order_id`: 10004 when unknown, 10029 when another account's. */
export function ownOrder(core: ExchangeCore, params: Params, account: Account): OrderRecord {
  const id = requiredString(params, 'order_id')
  const order = core.engine.order(id)
  if (order === undefined || order.accountId === MARKET_MAKER_ACCOUNT) throw new SimRpcError(10004, 'order_not_found')
  if (order.accountId !== account.id) throw new SimRpcError(10029, 'not_owner_of_order')
  return order
}
