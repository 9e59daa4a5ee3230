import type { AccessLog } from './accessLog.js'
import type { AccountBook } from './accounts.js'
import type { Clock } from './clock.js'
import type { SimConnection } from './connection.js'
import type { ConnectionLog } from './connectionLog.js'
import type { ExchangeSide } from './contract.js'
import type { ResolvedOptions } from './options.js'
import type { Presenter, Session, SessionStore } from './sessions.js'
import type { StatsCounter } from './stats.js'
import type { SubscriptionHub } from './subscriptionHub.js'

/** Returned by a handler that must send no response at all (`private/logout`). */
export const NO_RESPONSE: unique symbol = Symbol('no response')

/** The caller of a private method, as established before the handler runs. */
export interface CallAuth {
  accountId: number
  /** The session of the token used; undefined for HTTP Basic and `deri-hmac-sha256` credentials. */
  session: Session | undefined
  /** The functional scope the caller holds: the token's grant, or the key's `max_scope` for key credentials. */
  scope: readonly string[]
}

/** One call of a server-owned method. */
export interface ServerCall {
  params: Record<string, unknown>
  /** The WebSocket connection, or undefined over HTTP. */
  conn: SimConnection | undefined
  presenter: Presenter
  /** Set for private methods. */
  auth: CallAuth | undefined
  /** Work to do right after the response is written (the book snapshot after `subscribe`). */
  after: Array<() => void>
}

/** A method the server itself owns (auth, session, heartbeat, subscriptions). */
export interface ServerMethod {
  /** `private` methods need an authenticated caller. */
  access: 'public' | 'private'
  /** WebSocket-only methods answer 10030 over HTTP. */
  wsOnly: boolean
  run(call: ServerCall): unknown
}

/** The shared state server methods work on. */
export interface ServerDeps {
  readonly options: ResolvedOptions
  readonly clock: Clock
  readonly accounts: AccountBook
  readonly sessions: SessionStore
  readonly hub: SubscriptionHub
  readonly exchange: ExchangeSide
  readonly stats: StatsCounter
  readonly log: ConnectionLog
  /** Authentications per account (`private/get_access_log`, `user.access_log`). */
  readonly accessLog: AccessLog
  /** Account-scope cancel-on-disconnect settings: new connections of the account start with them. */
  readonly codByAccount: Map<number, boolean>
  /** Makes `session` the connection's identity (ends other identities' private subscriptions). */
  authenticate(conn: SimConnection, session: Session, accessToken: string): void
}

/** The connection of a WebSocket-only method (the dispatcher has already refused HTTP). */
export function wsConnection(call: ServerCall): SimConnection {
  if (call.conn === undefined) throw new Error('WebSocket-only method reached over HTTP')
  return call.conn
}
