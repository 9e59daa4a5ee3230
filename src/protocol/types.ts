/**
 * Wire shapes of the messages this package speaks (protocol reference §1–§6, §9).
 * Only the fields the SDK and the simulator rely on are required; the exchange may send more.
 */

/** A JSON-RPC request as Deribit takes it: named params only, never batches. */
export interface RpcRequest {
  jsonrpc: '2.0'
  id: number | string
  method: string
  params?: Record<string, unknown>
}

/** The error object of a failed response. */
export interface RpcErrorObject {
  code: number
  message: string
  data?: unknown
}

/** A response: exactly one of `result` and `error`, plus Deribit's timing extensions. */
export interface RpcResponse {
  jsonrpc: '2.0'
  id?: number | string | null
  result?: unknown
  error?: RpcErrorObject
  testnet?: boolean
  usIn?: number
  usOut?: number
  usDiff?: number
}

/** A subscription notification (no id). */
export interface SubscriptionNotification {
  jsonrpc: '2.0'
  method: 'subscription'
  params: { channel: string; data: unknown; label?: string }
}

/** A heartbeat notification; `test_request` must be answered with `public/test`. */
export interface HeartbeatNotification {
  jsonrpc: '2.0'
  method: 'heartbeat'
  params: { type: 'heartbeat' | 'test_request' }
}

/** Result of `public/auth` (and, without `state`/`enabled_features`, of exchange and fork). */
export interface AuthResult {
  access_token: string
  refresh_token: string
  expires_in: number
  scope: string
  token_type: 'bearer'
  sid?: string
  state?: string
  enabled_features?: string[]
}

/** Order states on Deribit. Only `open` and `untriggered` orders can still trade. */
export type OrderState = 'open' | 'filled' | 'rejected' | 'cancelled' | 'untriggered' | 'triggered'

/** An order as the exchange reports it. */
export interface Order {
  order_id: string
  order_state: OrderState
  order_type: string
  time_in_force: string
  instrument_name: string
  creation_timestamp: number
  last_update_timestamp: number
  direction: 'buy' | 'sell'
  price: number | 'market_price'
  label: string
  post_only: boolean
  api: boolean
  amount: number
  filled_amount: number
  average_price: number
  reduce_only: boolean
  replaced: boolean
  is_liquidation: boolean
  is_rebalance?: boolean
  max_show?: number
  web?: boolean
  cancel_reason?: string
}

/** A trade of the user's own order. */
export interface UserTrade {
  trade_id: string
  trade_seq: number
  order_id: string
  instrument_name: string
  direction: 'buy' | 'sell'
  price: number
  amount: number
  timestamp: number
  state: OrderState
  order_type: string
  fee: number
  fee_currency: string
  liquidity: 'M' | 'T'
  index_price: number
  mark_price: number
  tick_direction: number
  matching_id: null
  post_only: boolean
  reduce_only: boolean
  label?: string
}

/** A public trade on `trades.*`. */
export interface PublicTrade {
  trade_id: string
  trade_seq: number
  instrument_name: string
  direction: 'buy' | 'sell'
  price: number
  amount: number
  timestamp: number
  index_price: number
  mark_price: number
  tick_direction: number
}

/** One level change in an incremental book: action, price, amount (0 on delete). */
export type BookLevelChange = ['new' | 'change' | 'delete', number, number]

/** `data` of `book.{instrument}.{interval}`. */
export interface BookChange {
  type: 'snapshot' | 'change'
  timestamp: number
  instrument_name: string
  change_id: number
  prev_change_id?: number
  bids: BookLevelChange[]
  asks: BookLevelChange[]
}

/** Result of `private/buy`, `private/sell` and `private/edit`. */
export interface OrderResult {
  order: Order
  trades: UserTrade[]
}
