/**
 * deribit-session: a Deribit JSON-RPC v2 WebSocket client that keeps every subscription and the
 * true state of every order through token refresh, exchange, fork, logout and reconnects.
 * The simulator is a separate entry point: `deribit-session/simulator`.
 */

export type {
  ClientEvents,
  ClientState,
  GapEvent,
  ResubscribedEvent,
  TransitionEvent,
} from './client/events.js'
export { type ClientCredentials, DEFAULT_CLIENT_OPTIONS, type DeribitClientOptions } from './client/options.js'
export type { EditParams, OrderParams } from './client/orderEntry.js'
export { type ConnectOptions, DeribitClient, type NotificationHandler } from './client.js'
export * from './errors.js'
export { newOrderLabel } from './orders/labels.js'
export { OrderTracker } from './orders/orderTracker.js'
export { wsSignature } from './protocol/signature.js'
export type * from './protocol/types.js'
export { MemorySessionStore } from './session/memorySessionStore.js'
export type { SessionContext, TransitionKind } from './session/sessionContext.js'
export { sessionSummary } from './session/sessionContext.js'
export type { SessionStore, StoredSession } from './session/sessionStore.js'
export { FileSessionStore, type FileSessionStoreOptions } from './session/stores/fileSessionStore.js'
export type { EncryptionKey } from './session/stores/recordCipher.js'
export { RedisSessionStore, type RedisSessionStoreOptions } from './session/stores/redisSessionStore.js'
export { LocalOrderBook } from './subscriptions/orderBook.js'
export { Subscription } from './subscriptions/subscription.js'
export type { BackoffOptions } from './transport/backoff.js'
export type { Logger } from './transport/logger.js'
