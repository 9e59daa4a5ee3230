import WebSocket from 'ws'
import { DeribitError, type RevokedError } from '../errors.js'
import { OrderEntry } from '../orders/orderEntry.js'
import { OrderReconciler } from '../orders/orderReconciler.js'
import { OrderTracker } from '../orders/orderTracker.js'
import { CreditLimiter } from '../rpc/creditLimiter.js'
import { RpcClient } from '../rpc/rpcClient.js'
import { ActiveSession, PUBLIC_IDENTITY } from '../session/activeSession.js'
import { Authenticator } from '../session/authenticator.js'
import type { Credentials } from '../session/credentials.js'
import { HeldSessions } from '../session/heldSessions.js'
import { RefreshScheduler } from '../session/refreshScheduler.js'
import type { SessionContext } from '../session/sessionContext.js'
import { SessionPersistence } from '../session/sessionPersistence.js'
import { SubscriptionManager } from '../subscriptions/subscriptionManager.js'
import { backoffDelay } from '../transport/backoff.js'
import { IdleWatchdog } from '../transport/idleWatchdog.js'
import { type Logger, silentLogger } from '../transport/logger.js'
import { ReconnectingSocket } from '../transport/socket.js'
import { TypedEmitter } from '../transport/typedEmitter.js'
import { Connection } from './connection.js'
import type { ClientEvents, GapEvent, TransitionEvent } from './events.js'
import { IdentityGate } from './identityGate.js'
import { LeasedCalls } from './leasedCalls.js'
import { Lifetime } from './lifetime.js'
import { NotificationRouter } from './notificationRouter.js'
import { CLIENT_PACING_HEADROOM, DEFAULT_CLIENT_OPTIONS, type DeribitClientOptions } from './options.js'
import { OrderSync } from './orderSync.js'
import { endpointUrl } from './presets.js'
import { sessionEndings } from './sessionEndings.js'
import { Transitions } from './transitions.js'

/** The order tracker's own channel, kept per identity so `client.orders` stays true by itself. */
export const TRACKER_CHANNEL = 'user.orders.any.any.raw'

/** Retry curve of a scheduled refresh that failed. */
const REFRESH_RETRY = { initialDelayMs: 1000, maxDelayMs: 30_000, factor: 2, jitter: 0.2 } as const

/** The options with their defaults applied. */
export interface ResolvedOptions {
  url: string
  requestTimeoutMs: number
  heartbeatIntervalSec: number
  cancelOnDisconnect: boolean
  WebSocket: typeof WebSocket
  maxPayloadBytes: number
  trackOrders: boolean
  ordersWhileDisconnected: 'fail' | 'wait'
}

/** What the facade hands the parts for the few things only it can do. */
export interface FacadeHooks {
  onEstablished: () => void
  onGap: (event: GapEvent) => void
  onRevoked: (error: RevokedError) => void
  onRevokedInStore: (sessionName: string) => void
  onGiveUp: (error: DeribitError) => void
}

/** The client's parts, wired: layers below, and the orchestration that only needs them. */
export interface ClientParts {
  options: ResolvedOptions
  credentials: Credentials | undefined
  logger: Logger
  events: TypedEmitter<ClientEvents>
  lifetime: Lifetime
  connection: Connection
  transitions: Transitions
  gate: IdentityGate
  active: ActiveSession
  auth: Authenticator
  held: HeldSessions
  persistence: SessionPersistence
  subscriptions: SubscriptionManager
  router: NotificationRouter
  tracker: OrderTracker
  orderEntry: OrderEntry
  /** `client.call()`, each call pinned to its identity. */
  calls: LeasedCalls
  /** A refresh through the transition queue. */
  refresh(cause: TransitionEvent['cause']): Promise<SessionContext>
  /** A refresh now, for an operation that met an expired token. */
  refreshOnExpiry(): Promise<SessionContext>
  /** Resumes the stored session of the client's name, if any. */
  resume(): Promise<void>
  /** Listens to socket trouble (a refused connect, a DNS failure, an HTTP status, TLS); returns the remove. */
  onSocketError(listener: (error: DeribitError) => void): () => void
  /** Ends a held (not active) session at the exchange. */
  endHeld(sessionId: string): Promise<void>
  /** Logs the active session out; resolves when the exchange closed the socket. */
  logout(invalidateToken: boolean): Promise<void>
  /** Ends everything: after it nothing is armed and nothing is sent. */
  close(error: DeribitError): Promise<void>
}

/** Builds a client's parts from its options. */
export function assembleClient(options: DeribitClientOptions, hooks: FacadeHooks): ClientParts {
  const logger = options.logger ?? silentLogger
  const credentials = options.credentials ? { ...options.credentials } : undefined
  const resolved: ResolvedOptions = {
    url: endpointUrl(options),
    requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_CLIENT_OPTIONS.requestTimeoutMs,
    heartbeatIntervalSec: options.heartbeatIntervalSec ?? DEFAULT_CLIENT_OPTIONS.heartbeatIntervalSec,
    cancelOnDisconnect: options.cancelOnDisconnect ?? DEFAULT_CLIENT_OPTIONS.cancelOnDisconnect,
    // The option's type is `ws`'s class written out structurally (no @types/ws for users); it is that class.
    WebSocket: (options.WebSocket as typeof WebSocket | undefined) ?? WebSocket,
    maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_CLIENT_OPTIONS.maxPayloadBytes,
    trackOrders: options.trackOrders ?? DEFAULT_CLIENT_OPTIONS.trackOrders,
    ordersWhileDisconnected: options.ordersWhileDisconnected ?? DEFAULT_CLIENT_OPTIONS.ordersWhileDisconnected,
  }
  const lifetime = new Lifetime()
  const events: TypedEmitter<ClientEvents> = new TypedEmitter<ClientEvents>((error, event) => {
    // A listener's exception never changes the client's flow: it is reported, and that is all.
    logger.warn({ event: String(event), error: String(error) }, 'an event listener threw')
    if (event !== 'error') {
      events.emit('error', new DeribitError('LISTENER_ERROR', `A '${String(event)}' listener threw`, { cause: error }))
    }
  })
  const side = () => ({
    url: resolved.url,
    WebSocket: resolved.WebSocket,
    timeoutMs: resolved.requestTimeoutMs,
    maxPayloadBytes: resolved.maxPayloadBytes,
    logger,
    signal: lifetime.signal,
  })
  const persistence = new SessionPersistence({
    store: options.store,
    clientId: credentials?.clientId,
    logger,
    autoSave: options.autoSave ?? DEFAULT_CLIENT_OPTIONS.autoSave,
  })
  const sessionIdClaim =
    options.sessionIdClaim === false ? undefined : (options.sessionIdClaim ?? DEFAULT_CLIENT_OPTIONS.sessionIdClaim)
  const auth = new Authenticator({
    credentials,
    sessionName: options.sessionName,
    sessionIdClaim,
    persistence,
    logger,
    side: side(),
  })
  const refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_CLIENT_OPTIONS.refreshBeforeMs
  const held = new HeldSessions({
    idleLimitMs: options.heldSessionIdleMs ?? DEFAULT_CLIENT_OPTIONS.heldSessionIdleMs,
    refreshBeforeMs,
    logger,
    refresh: (context) => auth.refreshHeld(context),
  })
  // Late-bound: the scheduler's callback needs the transitions, built below.
  let onRefreshDue = () => {}
  const scheduler = new RefreshScheduler({ refreshBeforeMs, onDue: () => onRefreshDue() })
  const active = new ActiveSession({
    persistence,
    held,
    scheduler,
    isEnded: () => lifetime.ended,
    onRevoked: hooks.onRevokedInStore,
  })
  let connection: Connection | undefined
  const wire = () => connection?.wireTarget()
  let router: NotificationRouter | undefined
  const watchdog =
    resolved.heartbeatIntervalSec > 0
      ? new IdleWatchdog({
          timeoutMs: resolved.heartbeatIntervalSec * 2000 + 1000,
          onIdle: () => {
            logger.warn({}, 'no frame within the heartbeat deadline: treating the socket as half-open')
            socket.drop('half-open')
          },
        })
      : undefined
  const socket = new ReconnectingSocket({
    url: resolved.url,
    WebSocket: resolved.WebSocket,
    maxPayloadBytes: resolved.maxPayloadBytes,
    logger,
    // The per-frame path: a direct call, no event dispatch.
    onMessage: (text, epoch) => {
      watchdog?.touch()
      rpc.handleMessage(text, epoch)
    },
    ...(options.reconnect === false ? { maxRetries: 0 } : options.reconnect ? { backoff: options.reconnect } : {}),
  })
  const limiter =
    options.rateLimit === false ? undefined : new CreditLimiter({ ...CLIENT_PACING_HEADROOM, ...options.rateLimit })
  const rpc = new RpcClient({
    socket,
    requestTimeoutMs: resolved.requestTimeoutMs,
    logger,
    maxPayloadBytes: resolved.maxPayloadBytes,
    ...(limiter ? { limiter } : {}),
    onNotification: (channel, data, label) => router?.route(channel, data, label),
    onProtocolError: (error) => events.emit('error', error),
  })
  const subscriptions = new SubscriptionManager({
    target: wire,
    connected: () => connection?.established.isOpen === true || connection?.state === 'authenticating',
    call: (method, params, callOptions) => rpc.call(method, params, callOptions),
    logger,
    initialIdentity: PUBLIC_IDENTITY,
    ...(resolved.trackOrders ? { signedInChannels: [TRACKER_CHANNEL] } : {}),
    onRefused: (channel, error) => {
      logger.warn({ channel }, 'the exchange refused a channel; its subscriptions ended')
      events.emit('error', error)
    },
    onResnapshot: (channels, ms) => events.emit('resubscribed', { reason: 'gap', channels, ms }),
    onHandlerError: (error, channel) => logger.warn({ channel, error: String(error) }, 'subscription handler threw'),
  })
  const tracker = new OrderTracker({
    onListenerError: (error) => logger.warn({ error: String(error) }, 'order listener threw'),
  })
  tracker.on('order', (order, subjectId) => events.emit('order', order, subjectId))
  router = new NotificationRouter({ subscriptions, tracker, subject: () => active.subjectId, onGap: hooks.onGap })
  const reconciler = new OrderReconciler(tracker, options.currencies ?? DEFAULT_CLIENT_OPTIONS.currencies)
  const gate = new IdentityGate({
    rpc,
    epoch: () => socket.epoch,
    subjectId: () => active.subjectId,
    reconnecting: () => connection?.state === 'reconnecting' || connection?.state === 'connecting',
    transitionsAhead: () => transitions?.ahead(),
  })
  const orderSync = new OrderSync({
    reconciler,
    lifetime,
    caller: (epoch) => ({ call: (m, p, o) => rpc.call(m, p, { ...o, epoch }) }),
    carries: (epoch, subject) => socket.epoch === epoch && active.signedIn && active.subjectId === subject,
    onDegraded: (event) => {
      logger.warn({ attempt: event.attempt, retryInMs: event.retryInMs }, 'order reconciliation failed; retrying')
      events.emit('degraded', event)
    },
  })
  /** The connection is a new exchange session: private channels start over, under the identity it carries. */
  const onNewSession = () => {
    subscriptions.newExchangeSession()
    const identity = active.identityKey()
    subscriptions.activate(identity)
    if (resolved.trackOrders && active.signedIn) subscriptions.addInternal([TRACKER_CHANNEL], ignore, identity)
    router?.reset()
  }
  let transitions: Transitions | undefined
  connection = new Connection({
    socket,
    rpc,
    watchdog,
    active,
    auth,
    subscriptions,
    orders: orderSync,
    gate,
    lifetime,
    logger,
    heartbeatIntervalSec: resolved.heartbeatIntervalSec,
    cancelOnDisconnect: resolved.cancelOnDisconnect,
    keep: (context) => active.keep(context),
    transitionPending: () => transitions?.pending === true,
    onNewSession,
    emit: (event, ...args) => events.emit(event, ...args),
    onRevoked: hooks.onRevoked,
    onGiveUp: hooks.onGiveUp,
    onEstablished: hooks.onEstablished,
    onDropped: () => {
      // Connection-scoped tokens died with the socket; only session tokens keep a refresh timer.
      if (active.current?.sessionName === undefined) scheduler.cancel()
    },
  })
  const conn = connection
  transitions = new Transitions({
    connection: conn,
    active,
    gate,
    subscriptions,
    orders: orderSync,
    lifetime,
    logger,
    waitMs: resolved.requestTimeoutMs * 3,
    keep: (context) => active.keep(context),
    onNewSession,
    emit: (event, ...args) => events.emit(event, ...args),
  })
  const queue = transitions
  const refresh = (cause: TransitionEvent['cause']) =>
    queue.refresh(cause, (from, caller) => auth.refresh(caller, from))
  let refreshAttempt = 0
  onRefreshDue = () => {
    refresh('timer').then(
      () => {
        refreshAttempt = 0
      },
      (error: unknown) => {
        // A failed scheduled refresh is tried again with backoff while the token still lives.
        logger.warn({ error: String(error) }, 'scheduled refresh failed')
        const current = active.current
        if (lifetime.ended || !current || current.expiresAt <= Date.now()) return
        lifetime.timeout(() => onRefreshDue(), backoffDelay(refreshAttempt++, REFRESH_RETRY))
      },
    )
  }
  const calls = new LeasedCalls({
    gate,
    timeoutMs: resolved.requestTimeoutMs,
    touch: (now) => persistence.touch(now),
    hasSession: () => active.current !== undefined,
    refreshOnExpiry: () => queue.refreshNow((from, caller) => auth.refresh(caller, from)),
  })
  const orderEntry = new OrderEntry({
    acquire: (deadline, signal) => gate.acquire(deadline, signal, resolved.ordersWhileDisconnected === 'fail'),
    refreshOnExpiry: () => queue.refreshNow((from, caller) => auth.refresh(caller, from)),
    tracker,
    reconciler,
    timeoutMs: resolved.requestTimeoutMs,
  })

  return {
    options: resolved,
    credentials,
    logger,
    events,
    lifetime,
    connection: conn,
    transitions: queue,
    gate,
    active,
    auth,
    held,
    persistence,
    subscriptions,
    router,
    tracker,
    orderEntry,
    calls,
    refresh,
    refreshOnExpiry: () => queue.refreshNow((from, caller) => auth.refresh(caller, from)),
    onSocketError: (listener) => socket.on('error', listener),
    ...sessionEndings({
      sessionName: options.sessionName,
      requestTimeoutMs: resolved.requestTimeoutMs,
      side,
      logger,
      events,
      lifetime,
      connection: conn,
      socket,
      rpc,
      gate,
      active,
      held,
      persistence,
      scheduler,
      watchdog,
      limiter,
      subscriptions,
      tracker,
    }),
  }
}

function ignore(): void {}
