/** Grant types of `public/auth`. */
export type GrantType = 'client_credentials' | 'client_signature' | 'refresh_token'

/**
 * Counters tests assert on ("exactly one refresh reached the exchange"). Live: read them at
 * any time; they only grow.
 */
export interface SimulatorStats {
  /** Requests that reached dispatch, per method (including those answered with an error). */
  readonly requests: Readonly<Record<string, number>>
  /** Successful `public/auth` calls per grant type. */
  readonly authByGrant: Readonly<Record<GrantType, number>>
  /** Successful refresh-token grants (same as `authByGrant.refresh_token`). */
  readonly refreshes: number
  /** `public/auth` calls answered with an error. */
  readonly authFailures: number
  /** Successful `public/exchange_token` calls. */
  readonly exchangeTokens: number
  /** Successful `public/fork_token` calls. */
  readonly forkTokens: number
  /** `private/logout` calls that closed a connection. */
  readonly logouts: number
  /** WebSocket connections accepted. */
  readonly connectionsOpened: number
  /** Subscription notifications written to sockets. */
  readonly notificationsSent: number
  /** Requests answered 10028. */
  readonly rateLimited: number
  /** Connections closed because a `test_request` went unanswered. */
  readonly heartbeatTimeouts: number
  /** Orders cancelled by cancel-on-disconnect. */
  readonly codCancelledOrders: number
}

/** The mutable counters behind {@link SimulatorStats}. */
export class StatsCounter implements SimulatorStats {
  requests: Record<string, number> = {}
  authByGrant: Record<GrantType, number> = { client_credentials: 0, client_signature: 0, refresh_token: 0 }
  authFailures = 0
  exchangeTokens = 0
  forkTokens = 0
  logouts = 0
  connectionsOpened = 0
  notificationsSent = 0
  rateLimited = 0
  heartbeatTimeouts = 0
  codCancelledOrders = 0

  get refreshes(): number {
    return this.authByGrant.refresh_token
  }

  countRequest(method: string): void {
    this.requests[method] = (this.requests[method] ?? 0) + 1
  }
}
