/**
 * Wire shapes of the messages this package speaks (protocol reference §1–§6, §9).
 * Only the fields the SDK and the simulator rely on are required; the exchange may send more.
 */

/** A JSON-RPC request as Deribit takes it: named params only, never batches. */
export interface RpcRequest {
  /** Always `'2.0'`. */
  jsonrpc: '2.0'
  /** Correlates the response; echoed back unchanged. */
  id: number | string
  /** `public/...` or `private/...`, e.g. `private/buy`. */
  method: string
  /** Named parameters; private methods over WS may carry `access_token` here. */
  params?: Record<string, unknown>
}

/** The error object of a failed response. */
export interface RpcErrorObject {
  /** Deribit's numeric error code (e.g. 13009 `unauthorized`, 10028 `too_many_requests`, -32602). */
  code: number
  /** Deribit's snake_case error word (e.g. `invalid_credentials`); key on `code`, not on this. */
  message: string
  /** Extra detail, often `{reason, param}`; may be absent. */
  data?: unknown
}

/** A response: exactly one of `result` and `error`, plus Deribit's timing extensions. */
export interface RpcResponse {
  /** Always `'2.0'`. */
  jsonrpc: '2.0'
  /** The request's id; `null` for a parse error, absent when the request could not be read (e.g. too large). */
  id?: number | string | null
  /** The method's result, when it succeeded. */
  result?: unknown
  /** The error, when it failed. */
  error?: RpcErrorObject
  /** `true` on the test server (test.deribit.com). */
  testnet?: boolean
  /** When the server received the request, in µs since the Unix epoch. */
  usIn?: number
  /** When the server sent the response, in µs since the Unix epoch. */
  usOut?: number
  /** Time the server spent handling the request, in µs. */
  usDiff?: number
}

/** A subscription notification (no id). */
export interface SubscriptionNotification {
  /** Always `'2.0'`. */
  jsonrpc: '2.0'
  /** Always `'subscription'`. */
  method: 'subscription'
  /** The channel and its payload. */
  params: {
    /** The channel name, echoed as subscribed (e.g. `book.BTC-PERPETUAL.100ms`). */
    channel: string
    /** The payload; an object or an array depending on the channel and interval. */
    data: unknown
    /** The label given to `private/subscribe`, on private channels only. */
    label?: string
  }
}

/** A heartbeat notification; `test_request` must be answered with `public/test`. */
export interface HeartbeatNotification {
  /** Always `'2.0'`. */
  jsonrpc: '2.0'
  /** Always `'heartbeat'`. */
  method: 'heartbeat'
  /** Which kind of heartbeat. */
  params: {
    /** `test_request` must be answered (any request, usually `public/test`); `heartbeat` needs no answer. */
    type: 'heartbeat' | 'test_request'
  }
}

/** Result of `public/auth` (and, without `state`/`enabled_features`, of exchange and fork). */
export interface AuthResult {
  /** Token for private calls; opaque, never parse it. */
  access_token: string
  /** Single-use token to get a new token pair (`grant_type: refresh_token`), exchange or fork. */
  refresh_token: string
  /** Lifetime of the access token, in seconds. */
  expires_in: number
  /** Granted scopes, space-separated (e.g. `connection mainaccount`); may be narrower than asked. */
  scope: string
  /** Always `'bearer'`. */
  token_type: 'bearer'
  /** Optional session id. */
  sid?: string
  /** The `state` sent with `public/auth`, echoed back. */
  state?: string
  /** Features enabled for the account (e.g. `restricted_block_trades`); `public/auth` only. */
  enabled_features?: string[]
}

/** Order states on Deribit. Only `open` and `untriggered` orders can still trade. */
export type OrderState = 'open' | 'filled' | 'rejected' | 'cancelled' | 'untriggered' | 'triggered'

/** An order as the exchange reports it. */
export interface Order {
  /** Unique order id, a string (e.g. `"ETH-584864807"`). */
  order_id: string
  /** Current state; see {@link OrderState}. */
  order_state: OrderState
  /** `limit`, `market`, `stop_limit`, `stop_market`, `take_limit`, `take_market` or `trailing_stop`. */
  order_type: string
  /** `good_til_cancelled`, `good_til_day`, `fill_or_kill` or `immediate_or_cancel`. */
  time_in_force: string
  /** Instrument, e.g. `BTC-PERPETUAL`. */
  instrument_name: string
  /** When the order was created, in ms since the Unix epoch. */
  creation_timestamp: number
  /** When the order last changed, in ms since the Unix epoch. */
  last_update_timestamp: number
  /** Side of the order. */
  direction: 'buy' | 'sell'
  /** Limit price in the instrument's quote units, or `'market_price'` for open trigger market orders. */
  price: number | 'market_price'
  /** User-defined label (up to 64 characters); `''` when none was given. */
  label: string
  /** Whether the order is post-only (never takes liquidity). */
  post_only: boolean
  /** Whether the order was created through the API. */
  api: boolean
  /** Order size: in USD for perpetuals and inverse futures, in the base coin for options and linear futures. */
  amount: number
  /** Filled part of `amount`, in the same units. */
  filled_amount: number
  /** Average fill price; 0 when nothing has filled. */
  average_price: number
  /** Whether the order may only reduce the position. */
  reduce_only: boolean
  /** Whether the order was edited (by the user, or by the pricing engine for advanced options orders). */
  replaced: boolean
  /** Whether the order was created automatically by a liquidation. */
  is_liquidation: boolean
  /** Whether the order was created by a (spot) rebalance action. */
  is_rebalance?: boolean
  /** Part of the amount shown to others (iceberg); 0 for a hidden order. Legacy field, not in the schema. */
  max_show?: number
  /** Whether the order was created through the Deribit web frontend. */
  web?: boolean
  /** Why the order was cancelled (e.g. `user_request`, `cancel_on_disconnect`, `mmp_trigger`), on cancelled orders. */
  cancel_reason?: string
}

/** A trade of the user's own order. */
export interface UserTrade {
  /** Unique trade id, a string (e.g. `"ETH-2696097"`). */
  trade_id: string
  /** Sequence number of the trade within its instrument. */
  trade_seq: number
  /** Id of the user's order that traded. */
  order_id: string
  /** Instrument, e.g. `BTC-PERPETUAL`. */
  instrument_name: string
  /** Side of the user's order. */
  direction: 'buy' | 'sell'
  /** Price the trade executed at. */
  price: number
  /** Trade size: in USD for perpetuals and inverse futures, in the base coin for options and linear futures. */
  amount: number
  /** When the trade happened, in ms since the Unix epoch. */
  timestamp: number
  /** State of the order after this trade. */
  state: OrderState
  /** Type of the order that traded (e.g. `limit`, `market`). */
  order_type: string
  /** Fee charged for the trade, in `fee_currency`. */
  fee: number
  /** Currency of `fee`, e.g. `BTC`. */
  fee_currency: string
  /** `M` when the order was the maker, `T` when it was the taker. */
  liquidity: 'M' | 'T'
  /** Index price at the moment of the trade. */
  index_price: number
  /** Mark price at the moment of the trade. */
  mark_price: number
  /** Tick direction: 0 plus tick, 1 zero-plus tick, 2 minus tick, 3 zero-minus tick. */
  tick_direction: number
  /** Always `null` (Deribit keeps the field for compatibility). */
  matching_id: null
  /** Whether the order was post-only. */
  post_only: boolean
  /** Whether the order was reduce-only. */
  reduce_only: boolean
  /** The order's user-defined label, when it has one. */
  label?: string
}

/** A public trade on `trades.*`. */
export interface PublicTrade {
  /** Unique trade id, a string (e.g. `"48079269"`). */
  trade_id: string
  /** Sequence number of the trade within its instrument. */
  trade_seq: number
  /** Instrument, e.g. `BTC-PERPETUAL`. */
  instrument_name: string
  /** Side of the taker (the aggressor). */
  direction: 'buy' | 'sell'
  /** Price the trade executed at. */
  price: number
  /** Trade size: in USD for perpetuals and inverse futures, in the base coin for options and linear futures. */
  amount: number
  /** When the trade happened, in ms since the Unix epoch. */
  timestamp: number
  /** Index price at the moment of the trade. */
  index_price: number
  /** Mark price at the moment of the trade. */
  mark_price: number
  /** Tick direction: 0 plus tick, 1 zero-plus tick, 2 minus tick, 3 zero-minus tick. */
  tick_direction: number
}

/** One level change in an incremental book: action, price, amount (0 on delete). */
export type BookLevelChange = ['new' | 'change' | 'delete', number, number]

/** `data` of `book.{instrument}.{interval}`. */
export interface BookChange {
  /** `snapshot` for the first message (every level as `new`), `change` after that. */
  type: 'snapshot' | 'change'
  /** When the book changed, in ms since the Unix epoch. */
  timestamp: number
  /** Instrument, e.g. `BTC-PERPETUAL`. */
  instrument_name: string
  /** Id of this change; not necessarily the previous id + 1. */
  change_id: number
  /** `change_id` of the previous message; absent on a snapshot. Unequal to the last seen id means a gap. */
  prev_change_id?: number
  /** Bid level changes: `[action, price, amount]`. */
  bids: BookLevelChange[]
  /** Ask level changes: `[action, price, amount]`. */
  asks: BookLevelChange[]
}

/** `data` of `book.{instrument}.{group}.{depth}.{interval}`: a full snapshot of the top levels every interval. */
export interface GroupedBook {
  /** When the book was taken, in ms since the Unix epoch. */
  timestamp: number
  /** Instrument, e.g. `ETH-PERPETUAL`. */
  instrument_name: string
  /** Id of the book state; grouped books do not chain, so there is no `prev_change_id`. */
  change_id: number
  /** Bid levels, best first: `[price, amount]`. */
  bids: [number, number][]
  /** Ask levels, best first: `[price, amount]`. */
  asks: [number, number][]
}

/** `data` of `deribit_price_index.{index_name}`. */
export interface PriceIndex {
  /** Index, e.g. `btc_usd`. */
  index_name: string
  /** The index price. */
  price: number
  /** When it was computed, in ms since the Unix epoch. */
  timestamp: number
}

/** Result of `private/buy`, `private/sell` and `private/edit`. */
export interface OrderResult {
  /** The order as it stands after the call. */
  order: Order
  /** Trades the call produced at once; empty when nothing filled. */
  trades: UserTrade[]
}
