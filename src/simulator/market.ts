import type { AccountDirectory, EventSink, ExchangeSide } from './contract.js'
import type { CustodyLink } from './exchange/custody.js'

/** Controls of the exchange's market generator (`sim.market`). */
export interface MarketControls {
  /** Stops generating market events; state is kept. */
  pause(): void
  /** Starts generating market events again after {@link pause}. */
  resume(): void
  /** Market events per second. */
  setRate(eventsPerSec: number): void
  /** Emits `count` single-trade notifications on `instrument` as fast as possible (benchmarks). */
  burstTrades(instrument: string, count: number): void | Promise<void>
  /** Makes the next book change of `instrument` skip a change_id (a gap). */
  skipChangeId(instrument: string): void
}

/** How a new account describes itself in account summaries. */
export interface AccountProfile {
  type?: 'main' | 'subaccount'
  username?: string
  /** The main account of a subaccount. */
  mainAccountId?: number
}

/** The exchange side plus its market controls, as `createExchange` returns it. */
export interface ExchangeWithMarket<M extends MarketControls = MarketControls> extends ExchangeSide {
  readonly market: M
  openAccount(accountId: number, profile?: AccountProfile): void
  /** The account's open orders, when the exchange offers this oracle. */
  openOrders?(accountId: number): unknown[]
  /** Orders ever placed by the account (any state), optionally with one label. */
  orderCount?(accountId: number, label?: string): number
  /** Receives a deposit from outside the simulator (from the faucet, or from `from`), when the exchange has a wallet. */
  deposit?(accountId: number, currency: string, amount: number, from?: string): void
  /** Links a custody account to an account, when the exchange keeps them. */
  linkCustodyAccount?(accountId: number, link: CustodyLink): void
  /** Locks or unlocks an account's currency (`user.lock`), when the exchange supports it. */
  lockAccount?(accountId: number, currency: string, locked: boolean): void
  /** Publishes an announcement, when the exchange keeps them. */
  announce?(title: string, body: string, important?: boolean): void
}

/** What the server passes to the exchange factory. */
export interface ExchangeFactoryOptions {
  seed: number
  now: () => number
  marketRateHz?: number
  /** The server's account registry, for subaccounts created or removed through the API. */
  directory?: AccountDirectory
}

/** Builds the exchange side, given the sink it reports events to. */
export type ExchangeFactory<E extends ExchangeWithMarket = ExchangeWithMarket> = (
  options: ExchangeFactoryOptions,
  sink: EventSink,
) => E
