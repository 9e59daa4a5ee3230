/**
 * The seam inside the simulator between the server side (sockets, HTTP, auth, sessions,
 * heartbeats, rate limits, subscriptions, faults) and the exchange side (instruments, market
 * generator, matching engine, ledgers). The server dispatches authenticated calls to the
 * exchange's handlers; the exchange reports market and account events through a sink.
 */

/** A JSON-RPC error the simulator answers with; handlers throw it. */
export class SimRpcError extends Error {
  /** Always `'SimRpcError'`. */
  override name = 'SimRpcError'
  constructor(
    /** Deribit's numeric error code, sent as `error.code`. */
    readonly code: number,
    message: string,
    /** Sent as `error.data` (e.g. `{reason, param}`), when given. */
    readonly data?: unknown,
  ) {
    super(message)
  }
}

/** `-32602 Invalid params` with Deribit's `{reason, param}` data. */
export function invalidParams(param: string, reason: string): SimRpcError {
  return new SimRpcError(-32602, 'Invalid params', { reason, param })
}

/**
 * The code of {@link notSimulated}: Deribit's 13025 (`method_switched_off_by_admin`), the answer
 * a client already treats as "this exists but is not available here, do not retry".
 */
export const NOT_SIMULATED_CODE = 13025

/**
 * The documented refusal of a part of Deribit's API the simulator does not simulate (block
 * trades, block RFQs, combo books): error {@link NOT_SIMULATED_CODE} with message `not_simulated`
 * and `data: {name, reason}` naming it.
 */
export function notSimulated(name: string, reason: string): SimRpcError {
  return new SimRpcError(NOT_SIMULATED_CODE, 'not_simulated', { name, reason })
}

/** Who is calling, as the server established it before dispatching. */
export interface CallContext {
  /** The (sub)account the caller is authenticated as; undefined for unauthenticated public calls. */
  accountId: number | undefined
  /** The WebSocket connection the call came on; undefined over HTTP. */
  connectionId: number | undefined
  /** Whether the call came over WebSocket or HTTP (some methods are WebSocket-only). */
  transport: 'ws' | 'http'
  /** Simulator clock, ms since epoch. */
  now: number
}

/** A method of the exchange side. Throws {@link SimRpcError} for Deribit errors. */
export type MethodHandler = (params: Record<string, unknown>, ctx: CallContext) => unknown

/** Static facts about an instrument, used by the server to match `user.*.{kind}.{currency}` channels. */
export interface InstrumentFacts {
  /** Instrument, e.g. `BTC-PERPETUAL`. */
  instrument_name: string
  /** Instrument kind, as in `user.*.{kind}.{currency}` channels. */
  kind: 'future' | 'option' | 'spot' | 'future_combo' | 'option_combo'
  /** The underlying's currency (`BTC` for BTC-PERPETUAL). */
  base_currency: string
  /** The currency its orders and positions are settled in (`BTC` for BTC-PERPETUAL). */
  settlement_currency: string
}

/** Families of private per-account event the exchange emits. */
export type UserEventFamily = 'orders' | 'trades' | 'changes'

/**
 * Where the exchange sends events. The server fans each out to every subscribed channel
 * variant (`raw`, `100ms`, `agg2`) and serialises once per variant.
 */
export interface EventSink {
  /**
   * A public event. `channelBase` is the channel without its interval, e.g. `book.BTC-PERPETUAL`,
   * `trades.BTC-PERPETUAL`, `ticker.BTC-PERPETUAL`; for channels without interval
   * (`deribit_price_index.btc_usd`) it is the whole name.
   * For `trades.*`, the server also delivers to the matching `trades.{kind}.{currency}.{interval}`.
   */
  publish(channelBase: string, data: unknown): void
  /**
   * An event of one account about one instrument: `user.orders` (data: one order object),
   * `user.trades` (data: array of user trades) or `user.changes` (data: `{instrument_name, orders,
   * positions, trades}`). The server delivers it to that account's subscriptions whose channel
   * matches the instrument, its kind or currency, or `any` — as an object on `raw` for orders and as
   * an array on aggregated intervals.
   */
  publishUser(accountId: number, family: UserEventFamily, instrumentName: string, data: unknown): void
  /** `user.portfolio.{currency}` for one account (data: the portfolio object). */
  publishPortfolio(accountId: number, currency: string, data: unknown): void
  /**
   * An account-wide event on a channel without interval: `user.mmp_trigger.{index_name}`,
   * `user.access_log`, `user.lock`. Delivered to that account's subscriptions of exactly `channel`.
   */
  publishAccount(accountId: number, channel: string, data: unknown): void
  /**
   * Whether anyone listens on a public channel base, so the exchange can skip building a payload
   * nobody receives. Absent: nobody listens to the families built on demand (`quote`,
   * `incremental_ticker`, `perpetual`, `chart.trades`, the index families beyond the price index).
   */
  wants?(channelBase: string): boolean
  /**
   * A number that changes whenever a public channel base gains its first or loses its last
   * subscriber, so the exchange can cache what `wants` said on hot paths.
   */
  publicVersion?(): number
}

/** What the server asks of the exchange side. */
export interface ExchangeSide {
  /** `public/*` and `private/*` handlers the exchange owns (orders, reference data, accounts). */
  readonly methods: Readonly<Record<string, MethodHandler>>
  /** Creates the ledger of a new (sub)account with a starting balance. */
  openAccount(accountId: number): void
  /** Facts for a known instrument, or undefined (the server answers 10020 / leaves the channel out). */
  instrument(name: string): InstrumentFacts | undefined
  /** True when a public channel name (with interval) exists, e.g. `book.BTC-PERPETUAL.100ms`. */
  isPublicChannel(channel: string): boolean
  /**
   * The error a subscribe request that names `channel` fails with, when its family is one the
   * simulator deliberately does not simulate; undefined otherwise.
   */
  channelRefusal?(channel: string): SimRpcError | undefined
  /**
   * The first notification a new subscriber gets, if the channel starts with one: the book
   * snapshot for `book.{instrument}.{interval}` (change_id equal to the latest change's),
   * so later changes chain from it; the ticker snapshot of `incremental_ticker.*`; the current
   * state of `platform_state` and `platform_state.public_methods_state`.
   */
  snapshotFor(channel: string): unknown
  /** Cancels the open orders placed over a connection (cancel-on-disconnect); returns how many. */
  cancelOrdersOfConnection(connectionId: number): number
  /** Stops the market generator's timers; the exchange keeps its state. */
  close(): void
}

/**
 * The server's registry of accounts, as the exchange changes it: `private/create_subaccount`
 * and `private/remove_subaccount` must also make the account reachable (or not) by
 * `public/exchange_token`, which the server owns.
 */
export interface AccountDirectory {
  /** Registers a new subaccount of `mainAccountId`; returns its id. */
  addSubaccount(mainAccountId: number): number
  /** Unregisters a subaccount. */
  removeSubaccount(accountId: number): void
}
