/**
 * deribit-session: a Deribit JSON-RPC v2 WebSocket client that keeps every subscription and the
 * true state of every order through token refresh, exchange, fork, logout and reconnects.
 * The simulator and the persistent session stores are separate entry points, loaded only by those
 * who import them: `deribit-session/simulator`, `deribit-session/stores/file` and
 * `deribit-session/stores/redis`.
 */

export type {
  ClientEvents,
  ClientState,
  DegradedEvent,
  GapEvent,
  ResubscribedEvent,
  TransitionEvent,
} from './client/events.js'
export { ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_URL, type EnvOptions, fromEnv } from './client/fromEnv.js'
export { type ClientCredentials, DEFAULT_CLIENT_OPTIONS, type DeribitClientOptions } from './client/options.js'
export { DERIBIT_PRODUCTION_URL, DERIBIT_TESTNET_URL } from './client/presets.js'
export { type ConnectOptions, DeribitClient, type NotificationHandler } from './client.js'
export * from './errors.js'
export { newOrderLabel } from './orders/labels.js'
export type { EditParams, OrderParams } from './orders/orderEntry.js'
export {
  DEFAULT_MAX_CLOSED_ORDERS,
  OrderTracker,
  type OrderTrackerEvents,
  type OrderTrackerOptions,
  RECONCILE_NOT_FOUND_REASON,
  type ReconcileResult,
} from './orders/orderTracker.js'
export {
  CHANNEL_PARAM_EXTRAS,
  type ChannelFamily,
  type ChannelName,
  type ChannelOf,
  type CheckedChannel,
  channelFamily,
  type FamilyOf,
  isChannelName,
} from './protocol/channelNames.js'
export type { ChannelPayload, FamilyPayload } from './protocol/channelPayloads.js'
export type { Interval } from './protocol/channels.js'
export type {
  DeribitSchema,
  MethodName,
  MethodParams,
  MethodParamsArg,
  MethodResult,
} from './protocol/methodTypes.js'
export { wsSignature, wsStringToSign } from './protocol/signature.js'
export type * from './protocol/types.js'
export type { CreditLimiterOptions } from './rpc/creditLimiter.js'
export { type CreditPoolConfig, DEFAULT_CREDIT_POOLS } from './rpc/creditLimiter.js'
export type { HeldSessionInfo } from './session/heldSessions.js'
export {
  MemorySessionBacking,
  MemorySessionStore,
  type MemorySessionStoreOptions,
} from './session/memorySessionStore.js'
export type { CallOptions } from './session/rpcCaller.js'
export type { SessionContext, TransitionKind } from './session/sessionContext.js'
export { sessionSummary } from './session/sessionContext.js'
export type { SessionFilter, SessionMetadata, SessionStore, StoredSession } from './session/sessionStore.js'
export { DEFAULT_MAX_BUFFERED } from './subscriptions/asyncQueue.js'
export type { BookCheck } from './subscriptions/bookSequencer.js'
export type { BookLevel } from './subscriptions/bookSide.js'
export { type BookUpdate, LocalOrderBook, type LocalOrderBookEvents } from './subscriptions/orderBook.js'
export { Subscription, type SubscriptionMessage, type SubscriptionOptions } from './subscriptions/subscription.js'
export { SubscriptionOverflowError } from './subscriptions/subscriptionOverflowError.js'
export type { BackoffOptions } from './transport/backoff.js'
export { DEFAULT_BACKOFF } from './transport/backoff.js'
export type { LogFields, Logger } from './transport/logger.js'
export type { Timers } from './transport/timers.js'
export type { WebSocketClass, WebSocketInstance } from './transport/webSocketClass.js'
