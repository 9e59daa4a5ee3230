/**
 * Wire shapes of the messages this package speaks (Deribit's JSON-RPC v2, https://docs.deribit.com/).
 * Shapes Deribit's OpenAPI file describes are its generated types (at the end of this file).
 * Only the fields the SDK and the simulator rely on are required; the exchange may send more.
 */

import type { DeribitSchema, MethodResult } from './methodTypes.js'

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

/** Result of `public/auth` (and of `public/exchange_token` and `public/fork_token`), as the spec types it. */
export type AuthResult = MethodResult<'public/auth'>

/** Order states on Deribit. Only `open` and `untriggered` orders can still trade. */
export type OrderState = DeribitSchema<'order_state'>

/** An order as the exchange reports it: the spec's `order` schema. */
export type Order = DeribitSchema<'order'>

/** A trade of the user's own order: the spec's `user_trade` schema (with the wire's corrections). */
export type UserTrade = DeribitSchema<'user_trade'>

/** A public trade on `trades.*`: the spec's `public_trade` schema. */
export type PublicTrade = DeribitSchema<'public_trade'>

/** Result of `private/buy`, `private/sell` and `private/edit`: the order, and the trades it made at once. */
export type OrderResult = MethodResult<'private/buy'>
