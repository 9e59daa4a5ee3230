import type { CreditLimiterOptions } from '../rpc/creditLimiter.js'
import type { SessionStore } from '../session/sessionStore.js'
import type { BackoffOptions } from '../transport/backoff.js'
import type { Logger } from '../transport/logger.js'
import type { WebSocketClass } from '../transport/webSocketClass.js'

/** API key credentials. With them the client signs (`client_signature`): the secret never goes over the wire. */
export interface ClientCredentials {
  /** The API key's client id. */
  clientId: string
  /** The API key's client secret; only used locally to sign, never logged. */
  clientSecret: string
}

/** Options of {@link DeribitClient}. */
export interface DeribitClientOptions {
  /**
   * WebSocket endpoint: `DERIBIT_PRODUCTION_URL`, `DERIBIT_TESTNET_URL` or a simulator's `sim.url`.
   * Required unless `testnet` is true; there is no default.
   */
  url?: string
  /** `true` connects to Deribit's testnet (`DERIBIT_TESTNET_URL`); give `url` or this, not both. */
  testnet?: boolean
  /** API key. Without it the client is public-only (no private channels, no orders). */
  credentials?: ClientCredentials
  /**
   * Authenticate with `session:NAME` scope: tokens survive reconnects and can be stored and forked.
   * Without it tokens are connection-scoped and die with the socket (signature auth on every reconnect).
   */
  sessionName?: string
  /**
   * Where session-scoped tokens are kept so a restarted process resumes instead of logging in,
   * and so processes sharing a session never spend the same refresh token twice.
   * @default none (sessions live only as long as this client)
   */
  store?: SessionStore
  /**
   * Save every transition to the store.
   * @default true
   */
  autoSave?: boolean
  /**
   * Refresh this long before the access token expires.
   * @default 60_000
   */
  refreshBeforeMs?: number
  /**
   * Default timeout of a call, from the moment it is asked for (waiting for a transition counts).
   * @default 10_000
   */
  requestTimeoutMs?: number
  /**
   * `public/set_heartbeat` interval; a socket silent for twice this long is treated as half-open
   * and replaced. `0` disables heartbeats.
   * @default 10
   */
  heartbeatIntervalSec?: number
  /**
   * Enable cancel-on-disconnect (connection scope) after every (re)connect.
   * @default false
   */
  cancelOnDisconnect?: boolean
  /** Reconnect backoff (fields merged over `DEFAULT_BACKOFF`), or `false` to stay closed after a drop. @default DEFAULT_BACKOFF: the first reconnect after a socket that stayed up goes out at once, then 250 ms doubling to 10 s, 30 % jitter (see `reconnectDelay`) */
  reconnect?: Partial<BackoffOptions> | false
  /** Client-side credit pacing (Deribit's pools), or `false` to send unpaced. @default DEFAULT_CREDIT_POOLS (paced with a little headroom below them) */
  rateLimit?: Partial<CreditLimiterOptions> | false
  /** Receives diagnostics; never tokens or secrets. @default silent */
  logger?: Logger
  /** WebSocket class: `ws`'s or a subclass of it (see {@link WebSocketClass}). @default the `ws` package's WebSocket */
  WebSocket?: WebSocketClass
  /**
   * Currencies whose open orders are reconciled after a transition or reconnect.
   * @default ['BTC', 'ETH', 'USDC']
   */
  currencies?: readonly string[]
  /**
   * What an order does when asked for while the socket is down: `'fail'` rejects at once with
   * `NOT_CONNECTED`; `'wait'` waits (up to its timeout) for the connection and is sent once, under
   * the same label.
   * @default 'fail'
   */
  ordersWhileDisconnected?: 'fail' | 'wait'
  /**
   * Held sessions (from earlier exchanges and forks) unused for longer than this are left to
   * expire instead of being refreshed.
   * @default 600_000
   */
  heldSessionIdleMs?: number
  /**
   * For exchanges or gateways that issue JWT access tokens: the claim that names the session (it
   * becomes the context's id). `false` ignores claims. Opaque tokens are unaffected.
   * @default 'jti'
   */
  sessionIdClaim?: string | false
  /**
   * Keep the order tracker true by itself: the client subscribes `user.orders.any.any.raw` under
   * every identity it signs in as, so orders changed by other connections of the key (or filled
   * while nobody listened) reach `client.orders` without a subscription of yours.
   * @default true
   */
  trackOrders?: boolean
  /**
   * Largest frame accepted from the exchange, in bytes.
   * @default 16 MiB
   */
  maxPayloadBytes?: number
}

/** Defaults of {@link DeribitClientOptions}. */
export const DEFAULT_CLIENT_OPTIONS = {
  /** See {@link DeribitClientOptions.refreshBeforeMs}. */
  refreshBeforeMs: 60_000,
  /** See {@link DeribitClientOptions.requestTimeoutMs}. */
  requestTimeoutMs: 10_000,
  /** See {@link DeribitClientOptions.heartbeatIntervalSec}. */
  heartbeatIntervalSec: 10,
  /** See {@link DeribitClientOptions.cancelOnDisconnect}. */
  cancelOnDisconnect: false,
  /** See {@link DeribitClientOptions.autoSave}. */
  autoSave: true,
  /** See {@link DeribitClientOptions.currencies}. */
  currencies: ['BTC', 'ETH', 'USDC'],
  /** See {@link DeribitClientOptions.ordersWhileDisconnected}. */
  ordersWhileDisconnected: 'fail',
  /** See {@link DeribitClientOptions.maxPayloadBytes}. */
  maxPayloadBytes: 16 * 1024 * 1024,
  /** See {@link DeribitClientOptions.heldSessionIdleMs}. */
  heldSessionIdleMs: 600_000,
  /** See {@link DeribitClientOptions.sessionIdClaim}. */
  sessionIdClaim: 'jti',
  /** See {@link DeribitClientOptions.trackOrders}. */
  trackOrders: true,
} as const

/**
 * The margin the client paces with inside Deribit's credit pools (overridable through
 * `rateLimit`). Pacing at exactly the exchange's numbers is a race lost now and then: a request's
 * transit time varies, so one sent just as its credits refilled can reach an exchange whose bucket
 * has not; that earns a 10028 and a closed connection. So one request of each burst is held back
 * and requests are paced at 90% of the refill rate.
 */
export const CLIENT_PACING_HEADROOM = { reserveRequests: 1, refillShare: 0.9 } as const

/** Options of {@link DeribitClient.connect}. */
export interface ConnectOptions {
  signal?: AbortSignal
  /** @default 30_000 */
  timeoutMs?: number
  /**
   * Keep trying (with the reconnect backoff) when the exchange cannot be reached, until
   * `timeoutMs`. By default the first failed attempt (a refused connection, an unknown host, an
   * HTTP status, a TLS error) rejects at once with `NOT_CONNECTED` saying why, and the client closes.
   * @default false
   */
  keepRetrying?: boolean
}
