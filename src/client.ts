import { inspect } from 'node:util'
import WebSocket from 'ws'
import { Authenticator } from './client/authenticator.js'
import { type ClientEvents, type ClientState, type TransitionEvent, TypedEmitter } from './client/events.js'
import { type HeldSessionInfo, HeldSessions } from './client/heldSessions.js'
import { CLIENT_PACING_HEADROOM, DEFAULT_CLIENT_OPTIONS, type DeribitClientOptions } from './client/options.js'
import { type EditParams, OrderEntry, type OrderParams } from './client/orderEntry.js'
import { OrderReconciler } from './client/orderReconciler.js'
import { ReadyGate } from './client/readyGate.js'
import { SessionPersistence } from './client/sessionPersistence.js'
import { withSideConnection } from './client/sideConnection.js'
import { WireSubscriber } from './client/wireSubscriber.js'
import {
  AuthError,
  ClientClosedError,
  ConnectionClosedError,
  DeribitError,
  RevokedError,
  RpcError,
  TransitionFailedError,
} from './errors.js'
import { OrderTracker } from './orders/orderTracker.js'
import { isIncrementalBookChannel } from './protocol/channels.js'
import type { BookChange, Order, OrderResult } from './protocol/types.js'
import { isRepeatable } from './rpc/callPolicy.js'
import { CreditLimiter } from './rpc/creditLimiter.js'
import { RpcClient } from './rpc/rpcClient.js'
import { type Credentials, redactCredentials } from './session/credentials.js'
import { RefreshScheduler } from './session/refreshScheduler.js'
import type { CallOptions, RpcCaller } from './session/rpcCaller.js'
import { isSessionScoped, type SessionContext, type TransitionKind, withChanges } from './session/sessionContext.js'
import { SingleFlight } from './session/singleFlight.js'
import { authenticateWithRefreshToken } from './session/tokenOperations.js'
import { BookSequencer } from './subscriptions/bookSequencer.js'
import { LocalOrderBook } from './subscriptions/orderBook.js'
import { Subscription } from './subscriptions/subscription.js'
import { SubscriptionRegistry } from './subscriptions/subscriptionRegistry.js'
import { IdleWatchdog } from './transport/idleWatchdog.js'
import { type Logger, silentLogger } from './transport/logger.js'
import { ReconnectingSocket } from './transport/socket.js'

/** Handler of a subscription's notifications. */
export type NotificationHandler = (data: unknown, channel: string, label: string | undefined) => void

/** Options of {@link DeribitClient.connect}. */
export interface ConnectOptions {
  signal?: AbortSignal
  /** @default 30_000 */
  timeoutMs?: number
}

const PUBLIC_IDENTITY = 'public'

type ResolvedOptions = Required<
  Omit<
    DeribitClientOptions,
    'credentials' | 'sessionName' | 'store' | 'autoSave' | 'reconnect' | 'rateLimit' | 'sessionIdClaim'
  >
> & { sessionName: string | undefined; sessionIdClaim: string | undefined }

/**
 * One bot's connection to Deribit, holding one active session context and keeping every
 * subscription and the true state of every order through refresh, exchange (subaccount switch),
 * fork (named session), logout and reconnects.
 *
 * @example
 * await using client = new DeribitClient({ url: sim.url, credentials: { clientId, clientSecret } })
 * await client.connect()
 * const sub = await client.subscribe(['user.orders.any.any.raw'])
 * await client.buy({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })
 * await client.exchangeToken(subaccountId) // user.* channels now deliver the subaccount's events
 */
export class DeribitClient extends TypedEmitter<ClientEvents> {
  /** Open orders and recent history, kept equal to the exchange's across every transition. */
  readonly orders: OrderTracker

  readonly #options: ResolvedOptions
  readonly #credentials: Credentials | undefined
  readonly #logger: Logger
  readonly #socket: ReconnectingSocket
  readonly #rpc: RpcClient
  readonly #limiter: CreditLimiter | undefined
  readonly #registry: SubscriptionRegistry
  readonly #sequencer = new BookSequencer()
  /** Book channels waiting for the fresh snapshot that heals a gap. */
  readonly #resyncing = new Set<string>()
  /** Open while user calls may be written: connected, authenticated, and no transition pending. */
  readonly #gate = new ReadyGate()
  /** Open while the connection is established (transitions wait on this one, not on #gate). */
  readonly #connected = new ReadyGate()
  #pendingTransitions = 0
  /** True once the client was ready: later establishments are reconnects. */
  #everReady = false
  readonly #wire: WireSubscriber
  readonly #orderEntry: OrderEntry
  readonly #refresher: RefreshScheduler
  readonly #refreshFlight = new SingleFlight<SessionContext>()
  readonly #watchdog: IdleWatchdog | undefined
  /** Each live Subscription with the handler it registered. */
  readonly #subscriptions = new Map<Subscription, NotificationHandler>()
  readonly #books = new Map<string, { book: LocalOrderBook; refs: number }>()
  readonly #persistence: SessionPersistence
  readonly #auth: Authenticator
  readonly #reconciler: OrderReconciler
  readonly #held: HeldSessions
  #unwatchRevocations: (() => void) | undefined
  /** `revoked` was emitted: one revocation can arrive several ways (store listener, a refused save, the exchange). */
  #revokedEmitted = false

  #state: ClientState = 'idle'
  #chain: SessionContext[] = []
  #authenticated = false
  #transitionTail: Promise<unknown> = Promise.resolve()
  #connectWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined

  constructor(options: DeribitClientOptions) {
    super()
    if (!options || typeof options.url !== 'string') throw new TypeError('DeribitClient needs options.url')
    this.#credentials = options.credentials ? { ...options.credentials } : undefined
    this.#logger = options.logger ?? silentLogger
    this.#options = {
      url: options.url,
      refreshBeforeMs: options.refreshBeforeMs ?? DEFAULT_CLIENT_OPTIONS.refreshBeforeMs,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_CLIENT_OPTIONS.requestTimeoutMs,
      heartbeatIntervalSec: options.heartbeatIntervalSec ?? DEFAULT_CLIENT_OPTIONS.heartbeatIntervalSec,
      cancelOnDisconnect: options.cancelOnDisconnect ?? DEFAULT_CLIENT_OPTIONS.cancelOnDisconnect,
      logger: this.#logger,
      WebSocket: options.WebSocket ?? WebSocket,
      currencies: options.currencies ?? DEFAULT_CLIENT_OPTIONS.currencies,
      ordersWhileDisconnected: options.ordersWhileDisconnected ?? DEFAULT_CLIENT_OPTIONS.ordersWhileDisconnected,
      maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_CLIENT_OPTIONS.maxPayloadBytes,
      sessionName: options.sessionName,
      heldSessionIdleMs: options.heldSessionIdleMs ?? DEFAULT_CLIENT_OPTIONS.heldSessionIdleMs,
      sessionIdClaim:
        options.sessionIdClaim === false
          ? undefined
          : (options.sessionIdClaim ?? DEFAULT_CLIENT_OPTIONS.sessionIdClaim),
    }
    this.#persistence = new SessionPersistence({
      store: options.store,
      clientId: options.credentials?.clientId,
      logger: this.#logger,
      autoSave: options.autoSave ?? DEFAULT_CLIENT_OPTIONS.autoSave,
    })
    this.#auth = new Authenticator({
      credentials: this.#credentials,
      sessionName: this.#options.sessionName,
      sessionIdClaim: this.#options.sessionIdClaim,
      persistence: this.#persistence,
      logger: this.#logger,
      side: this.#sideOptions(),
    })
    this.#held = new HeldSessions({
      idleLimitMs: this.#options.heldSessionIdleMs,
      refreshBeforeMs: this.#options.refreshBeforeMs,
      logger: this.#logger,
      refresh: (context) => this.#auth.refreshHeld(context),
    })
    this.#socket = new ReconnectingSocket({
      url: options.url,
      WebSocket: this.#options.WebSocket,
      maxPayloadBytes: this.#options.maxPayloadBytes,
      logger: this.#logger,
      // The per-frame path: a direct call, no event dispatch.
      onMessage: (text, epoch) => {
        this.#watchdog?.touch()
        this.#rpc.handleMessage(text, epoch)
      },
      ...(options.reconnect === false ? { maxRetries: 0 } : options.reconnect ? { backoff: options.reconnect } : {}),
    })
    this.#limiter =
      options.rateLimit === false ? undefined : new CreditLimiter({ ...CLIENT_PACING_HEADROOM, ...options.rateLimit })
    this.#registry = new SubscriptionRegistry({
      initialIdentity: PUBLIC_IDENTITY,
      onHandlerError: (error, channel) =>
        this.#logger.warn('subscription handler threw', { channel, error: String(error) }),
    })
    this.#rpc = new RpcClient({
      socket: this.#socket,
      requestTimeoutMs: this.#options.requestTimeoutMs,
      logger: this.#logger,
      maxPayloadBytes: this.#options.maxPayloadBytes,
      ...(this.#limiter ? { limiter: this.#limiter } : {}),
      onNotification: (channel, data, label) => this.#onNotification(channel, data, label),
      onProtocolError: (error) => this.emit('error', error),
    })
    this.#wire = new WireSubscriber(this.#rpc, this.#registry.subscribedOnWire, (echoed) =>
      this.#registry.canonicalChannel(echoed),
    )
    this.orders = new OrderTracker()
    this.#reconciler = new OrderReconciler(this.orders, this.#options.currencies)
    this.orders.on('order', (order, subjectId) => this.emit('order', order, subjectId))
    this.#orderEntry = new OrderEntry({
      rpc: { call: (method, params, options) => this.#epochCaller(this.#socket.epoch).call(method, params, options) },
      tracker: this.orders,
      gate: this.#gate,
      timeoutMs: this.#options.requestTimeoutMs,
      whileDisconnected: this.#options.ordersWhileDisconnected,
      subject: () => this.#session?.subjectId,
      isReconnecting: () => this.#state === 'reconnecting' || this.#state === 'connecting',
      refreshOnExpiry: () => this.#refreshAfterExpiry(),
      reconcile: () => this.#reconcileOrders(this.#socket.epoch).then(() => undefined),
    })
    this.#refresher = new RefreshScheduler({
      refreshBeforeMs: this.#options.refreshBeforeMs,
      onDue: () => {
        this.#refresh('timer').catch((error: unknown) =>
          this.#logger.warn('scheduled refresh failed', { error: describe(error) }),
        )
      },
    })
    if (this.#options.heartbeatIntervalSec > 0) {
      this.#watchdog = new IdleWatchdog({
        timeoutMs: this.#options.heartbeatIntervalSec * 2000 + 1000,
        onIdle: () => {
          this.#logger.warn('no frame within the heartbeat deadline: treating the socket as half-open')
          this.#socket.drop('half-open')
        },
      })
    }
    this.#socket.on('open', (epoch) => this.#onOpen(epoch))
    this.#socket.on('close', (info) => this.#onClose(info.epoch, info.intentional, info.willReconnect))
    this.#socket.on('error', (error) => this.#logger.debug('socket error', { error: error.message }))
  }

  /** What the client is doing now. */
  get state(): ClientState {
    return this.#state
  }

  /** The active session context, or undefined before the first authentication (or when public-only). */
  get session(): SessionContext | undefined {
    return this.#chain[0]
  }

  /** Every session context this client has had, newest first, linked by `prevId`. */
  get sessions(): readonly SessionContext[] {
    return [...this.#chain]
  }

  /** The (sub)account id the connection is authenticated as. */
  get subjectId(): number | undefined {
    return this.#session?.subjectId
  }

  /** Channels the client wants, across every identity (what it restores after a drop). */
  get channels(): string[] {
    // The registry's active identity, not the connection's: while reconnecting it is still the one restored next.
    return this.#registry.desiredChannels()
  }

  /**
   * Opens the socket and authenticates (or resumes a stored session), sets the heartbeat and
   * cancel-on-disconnect, and resolves when the client is ready. Rejects with an
   * {@link AuthError} when the credentials are refused (it does not retry those).
   */
  connect(options: ConnectOptions = {}): Promise<void> {
    // Single-flight: concurrent callers share one connection attempt.
    this.#connecting ??= this.#connect(options).finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  #connecting: Promise<void> | undefined

  async #connect(options: ConnectOptions): Promise<void> {
    if (this.#state === 'closed') throw new ClientClosedError()
    if (this.#state === 'ready') return
    const timeoutMs = options.timeoutMs ?? 30_000
    const starting = this.#state === 'idle'
    if (starting) {
      try {
        await this.#resumeFromStore()
      } catch (error) {
        if (error instanceof RevokedError) this.#revoke(error)
        throw error
      }
    }
    const ready = new Promise<void>((resolve, reject) => {
      this.#connectWaiter = { resolve, reject }
    })
    if (starting) {
      this.#unwatchRevocations = this.#persistence.watchRevocations((name) => {
        if (name === this.#session?.sessionName) void this.#revokedByOperator(name)
      })
      this.#setState('connecting')
      this.#socket.open()
    }
    let timer: NodeJS.Timeout | undefined
    const onAbort = () => this.#connectWaiter?.reject(new ConnectionClosedError('connect() aborted', { notSent: true }))
    options.signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await Promise.race([
        ready,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new ConnectionClosedError(`Not ready within ${timeoutMs} ms`, { notSent: true })),
            timeoutMs,
          )
        }),
      ])
    } finally {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
      this.#connectWaiter = undefined
    }
  }

  /**
   * Calls any JSON-RPC method once the client is ready. A call asked for during a transition
   * waits and runs once under the new token. Reads are repeated after a drop; writes are not.
   */
  async call<T = unknown>(method: string, params?: Record<string, unknown>, options: CallOptions = {}): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs
    const started = Date.now()
    this.#persistence.touch(started)
    // Fast path: ready, so no gate to wait on and no deadline bookkeeping unless the call fails.
    if (this.#gate.isOpen) {
      try {
        return await this.#rpc.call<T>(method, params, this.#callOptions(options.signal, timeoutMs))
      } catch (error) {
        if (!(await this.#mayRepeat(error, method))) throw error
      }
    }
    const deadline = started + timeoutMs
    for (let attempt = 1; ; attempt++) {
      await this.#gate.wait(Math.max(1, deadline - Date.now()), options.signal)
      try {
        return await this.#rpc.call<T>(
          method,
          params,
          this.#callOptions(options.signal, Math.max(1, deadline - Date.now())),
        )
      } catch (error) {
        if (attempt >= 3 || Date.now() >= deadline || !(await this.#mayRepeat(error, method))) throw error
      }
    }
  }

  #callOptions(signal: AbortSignal | undefined, timeoutMs: number) {
    return { ...(signal ? { signal } : {}), timeoutMs, epoch: this.#socket.epoch }
  }

  /**
   * Whether a failed call may go again: never written, a token that expired (refreshed first),
   * or — for calls safe to repeat — a drop or a rate-limit close.
   */
  async #mayRepeat(error: unknown, method: string): Promise<boolean> {
    if (!(error instanceof DeribitError)) return false
    if (error.code === 'NOT_CONNECTED') return true
    if (
      error.code === 'AUTH_FAILED' &&
      error.exchangeCode === 13009 &&
      this.#session &&
      method.startsWith('private/')
    ) {
      await this.#refreshAfterExpiry()
      return true
    }
    return (error.code === 'CONNECTION_CLOSED' || error.code === 'RATE_LIMITED') && isRepeatable(method)
  }

  /**
   * Subscribes channels (public and `user.*`). Private channels follow the identity: after an
   * exchange they deliver the new subject's events. The subscription is restored after every
   * reconnect and transition. Iterate it with `for await` or pass a handler.
   */
  async subscribe(
    channels: string | readonly string[],
    handler?: NotificationHandler,
    options: CallOptions = {},
  ): Promise<Subscription> {
    const list = normaliseChannels(channels)
    const subscription: Subscription = new Subscription({
      channels: list,
      unsubscribe: () => this.#dropSubscription(subscription, options),
      // With a handler, nobody may ever iterate: an unread buffer must not fill up and end the subscription.
      bufferBeforeIteration: handler === undefined,
    })
    const deliver: NotificationHandler = (data, channel, label) => {
      subscription.push(channel, data, label)
      handler?.(data, channel, label)
    }
    // Private channels join the identity the registry carries to the next connection; while the socket
    // is down #identityKey() says 'public', and a channel filed there was never subscribed again.
    const identity = this.#registry.activeIdentity
    const { newChannels } = this.#registry.add(list, deliver, identity)
    this.#subscriptions.set(subscription, deliver)
    // Before connect() the channels simply join the desired set; connect subscribes them.
    if (newChannels.length === 0 || this.#state === 'idle') return subscription
    try {
      await this.#gate.wait(options.timeoutMs ?? this.#options.requestTimeoutMs, options.signal)
      const { rejected } = await this.#wire.subscribe(newChannels, {
        authenticated: this.#authenticated,
        epoch: this.#socket.epoch,
        ...(options.signal ? { signal: options.signal } : {}),
      })
      if (rejected.length > 0) {
        throw new RpcError(`The exchange refused channels: ${rejected.join(', ')}`, {
          exchangeCode: 11052,
          data: { channels: rejected },
          method: 'subscribe',
        })
      }
    } catch (error) {
      // A drop mid-subscribe is healed by the resubscription on reconnect; anything else is the caller's.
      if ((error as DeribitError).code !== 'CONNECTION_CLOSED' && (error as DeribitError).code !== 'NOT_CONNECTED') {
        // All or nothing: what the exchange did accept is unsubscribed again.
        const { goneChannels } = this.#registry.remove(list, deliver, identity)
        this.#subscriptions.delete(subscription)
        subscription.end()
        await this.#unsubscribeOnWire(goneChannels, options).catch(() => undefined)
        throw error
      }
    }
    return subscription
  }

  /** Unsubscribes channels for every handler that asked for them. */
  async unsubscribe(channels: string | readonly string[], options: CallOptions = {}): Promise<void> {
    const list = normaliseChannels(channels)
    for (const subscription of [...this.#subscriptions.keys()]) {
      if (subscription.channels.every((c) => list.includes(c))) {
        this.#subscriptions.delete(subscription)
        subscription.end()
      }
    }
    const { goneChannels } = this.#registry.remove(list, undefined, this.#registry.activeIdentity)
    await this.#unsubscribeOnWire(goneChannels, options)
  }

  /**
   * A live local order book for an instrument, rebuilt from a fresh snapshot after every gap,
   * reconnect and transition. Release it with `close()`.
   */
  async orderBook(
    instrument: string,
    options: { interval?: 'raw' | '100ms' | 'agg2' } & CallOptions = {},
  ): Promise<LocalOrderBook & { close(): Promise<void> }> {
    const interval = options.interval ?? '100ms'
    const channel = `book.${instrument}.${interval}`
    let entry = this.#books.get(channel)
    if (!entry) {
      const book = new LocalOrderBook(instrument, interval)
      entry = { book, refs: 0 }
      this.#books.set(channel, entry)
      await this.subscribe(channel, (data) => book.apply(data as BookChange), options)
    }
    entry.refs++
    const held = entry
    const close = async () => {
      held.refs--
      if (held.refs === 0) {
        this.#books.delete(channel)
        await this.unsubscribe(channel)
      }
    }
    return Object.assign(held.book, { close })
  }

  /** Refreshes the tokens now (single-flight: concurrent callers share one refresh). */
  async refreshToken(): Promise<SessionContext> {
    return this.#refresh('user')
  }

  /** Switches the connection to another subject (subaccount or main account) with `public/exchange_token`. */
  async exchangeToken(subjectId: number, options: { scope?: string } & CallOptions = {}): Promise<SessionContext> {
    return this.#transition('exchange', 'user', (from, epoch) =>
      this.#auth.exchange(this.#epochCaller(epoch), from, subjectId, options.scope),
    )
  }

  /** Forks the session into a new named session (session-scoped tokens only) and moves the connection to it. */
  async forkToken(sessionName: string): Promise<SessionContext> {
    return this.#transition('fork', 'user', (from, epoch) =>
      this.#auth.fork(this.#epochCaller(epoch), from, sessionName),
    )
  }

  /**
   * Makes a session this client already holds (from an earlier exchange or fork, still valid)
   * the active one without a new token operation: the connection authenticates with it, the
   * private channels move to its subject, and its orders are reconciled. Two-phase, like every
   * transition; the transition kind is `'switch'`.
   */
  async switchSession(sessionId: string): Promise<SessionContext> {
    if (this.#session?.id === sessionId) return this.#session
    const target = this.#held.get(sessionId)
    if (!target) {
      throw new TransitionFailedError('switch', 'No held session with that id (ended, expired, or never held)')
    }
    return this.#transition('switch', 'user', (_from, epoch) =>
      this.#auth.switchTo(this.#epochCaller(epoch), this.#held.get(sessionId) ?? target),
    )
  }

  /** The sessions this client holds, the active one first; `includeEnded` adds ended records. */
  heldSessions(options: { includeEnded?: boolean } = {}): HeldSessionInfo[] {
    return this.#held.list(options.includeEnded ?? false)
  }

  /**
   * Ends a held session at the exchange (`private/logout` with `invalidate_token`, over a side
   * connection so the client's own socket stays up) and keeps its record, inactive, with the
   * time it ended. Ending the active session is {@link DeribitClient.logout}.
   */
  async endSession(sessionId: string): Promise<void> {
    if (this.#session?.id === sessionId) return this.logout()
    const held = this.#held.get(sessionId)
    if (!held) throw new DeribitError('INVALID_ARGUMENT', 'No held session with that id')
    await withSideConnection(this.#sideOptions(), async (rpc, closed) => {
      await authenticateWithRefreshToken(rpc, held.refreshToken)
      // No answer comes: the exchange invalidates the session and closes this side socket.
      rpc.call('private/logout', { invalidate_token: true }).catch(() => undefined)
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, this.#options.requestTimeoutMs))])
    })
    const ended = this.#held.end(sessionId, Date.now())
    this.#chain = this.#chain.map((c) => (c.id === sessionId && c.active ? withChanges(c, { active: false }) : c))
    if (ended) await this.#persistence.save(withChanges(ended, { active: false }), true)
  }

  /** Places a buy order under a label (given or generated). A lost answer is settled by label, never re-sent. */
  buy(params: OrderParams, options: CallOptions = {}): Promise<OrderResult> {
    return this.#orderEntry.place('buy', params, options)
  }

  /** Places a sell order; see {@link DeribitClient.buy}. */
  sell(params: OrderParams, options: CallOptions = {}): Promise<OrderResult> {
    return this.#orderEntry.place('sell', params, options)
  }

  /** Edits an open order. A lost answer is settled by reading the order's state. */
  edit(params: EditParams, options: CallOptions = {}): Promise<OrderResult> {
    return this.#orderEntry.edit(params, options)
  }

  /** Cancels an order; resolves with its final state. */
  cancel(orderId: string, options: CallOptions = {}): Promise<Order> {
    return this.#orderEntry.cancel(orderId, options)
  }

  /** Cancels every open order (or those matching Deribit's `cancel_all_by_*` params); returns the count. */
  cancelAll(
    params: { currency?: string; instrument_name?: string; kind?: string; type?: string } = {},
    options: CallOptions = {},
  ): Promise<number> {
    return this.#orderEntry.cancelAll(params, options)
  }

  /** Cancels every open order carrying a label; returns the count. */
  cancelByLabel(label: string, options: CallOptions & { currency?: string } = {}): Promise<number> {
    return this.#orderEntry.cancelByLabel(label, options)
  }

  /**
   * Logs out: the exchange invalidates the session's tokens (by default) and closes the socket.
   * The client ends in `closed` and does not reconnect.
   */
  async logout(options: { invalidateToken?: boolean } = {}): Promise<void> {
    if (this.#state === 'closed') return
    await this.#gate.wait(this.#options.requestTimeoutMs)
    const epoch = this.#socket.epoch
    this.#loggingOut = true
    this.#gate.shut()
    this.#connected.shut()
    const closed = new Promise<void>((resolve) => {
      const onClose = (info: { epoch: number }) => {
        if (info.epoch !== epoch) return
        this.#socket.off('close', onClose)
        resolve()
      }
      this.#socket.on('close', onClose)
    })
    // Deribit sends no answer to logout; the socket closing is the answer.
    this.#rpc
      .call('private/logout', { invalidate_token: options.invalidateToken ?? true }, { epoch, timeoutMs: 5000 })
      .catch(() => undefined)
    const timer = setTimeout(() => this.#socket.drop('logout not acknowledged'), 5000)
    await closed
    clearTimeout(timer)
    const ended = this.#session
    if (ended) this.#chain[0] = withChanges(ended, { active: false })
    if (ended) {
      this.#held.end(ended.id, Date.now())
      // The record stays, inactive: history is never deleted silently.
      if (options.invalidateToken !== false) await this.#persistence.save(withChanges(ended, { active: false }), true)
    }
    await this.close()
  }

  /** Closes the socket for good (no logout: session-scoped tokens stay valid). Idempotent. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#setState('closed')
    const error = new ClientClosedError()
    this.#gate.close(error)
    this.#connected.close(error)
    this.#refresher.cancel()
    this.#watchdog?.stop()
    this.#limiter?.clear()
    this.#unwatchRevocations?.()
    this.#unwatchRevocations = undefined
    this.#held.close()
    this.#connectWaiter?.reject(error)
    await this.#socket.close(1000, 'client closed')
    this.#rpc.failPending(this.#socket.epoch, () => error)
    for (const subscription of this.#subscriptions.keys()) subscription.end()
    this.#subscriptions.clear()
    this.removeAllListeners()
  }

  /** `await using client = new DeribitClient(...)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Never shows the credentials or tokens. */
  [inspect.custom](): string {
    return `DeribitClient { state: ${this.#state}, url: ${this.#options.url}, credentials: ${
      this.#credentials ? inspect(redactCredentials(this.#credentials)) : 'none'
    }, session: ${this.#session ? this.#session.id : 'none'} }`
  }

  /** Only non-secret facts, so a client can be logged as JSON. */
  toJSON(): Record<string, unknown> {
    return { state: this.#state, url: this.#options.url, session: this.#session?.id, subjectId: this.subjectId }
  }

  // ---------------------------------------------------------------- internals

  #loggingOut = false

  get #session(): SessionContext | undefined {
    return this.#chain[0]
  }

  #identityKey(): string {
    const subject = this.#session?.subjectId
    return this.#authenticated ? `subject:${subject ?? 'unknown'}` : PUBLIC_IDENTITY
  }

  #setState(next: ClientState): void {
    const previous = this.#state
    if (previous === next || previous === 'closed') return
    this.#state = next
    this.emit('state', next, previous)
  }

  /** An RpcCaller bound to one connection epoch: nothing it sends can reach a newer socket. */
  #epochCaller(epoch: number): RpcCaller {
    return {
      call: <T>(method: string, params?: Record<string, unknown>, options: CallOptions = {}) =>
        this.#rpc.call<T>(method, params, { ...options, epoch }),
    }
  }

  #onNotification(channel: string, data: unknown, label: string | undefined): void {
    if (channel.charCodeAt(0) === 98 /* b */ && isIncrementalBookChannel(channel)) {
      const book = data as BookChange
      const expected = this.#sequencer.last(channel)
      const verdict = this.#sequencer.check(channel, book)
      if (verdict === 'gap') {
        // One resync per gap: changes until the fresh snapshot are dropped, not reported again.
        if (!this.#resyncing.has(channel)) this.#onGap(channel, book, expected)
        return
      }
      if (verdict === 'snapshot') this.#resyncing.delete(channel)
    } else if (channel.charCodeAt(0) === 117 /* u */) {
      this.#applyPrivate(channel, data)
    }
    this.#registry.dispatch(channel, data, label)
  }

  #applyPrivate(channel: string, data: unknown): void {
    const subject = this.#session?.subjectId
    if (channel.startsWith('user.orders.')) {
      for (const order of Array.isArray(data) ? data : [data]) this.orders.apply(order as Order, subject)
    } else if (channel.startsWith('user.changes.')) {
      const orders = (data as { orders?: unknown }).orders
      if (Array.isArray(orders)) for (const order of orders) this.orders.apply(order as Order, subject)
    }
  }

  #onGap(channel: string, data: BookChange, expected: number | undefined): void {
    this.#resyncing.add(channel)
    this.emit('gap', { channel, expectedPrevChangeId: expected, prevChangeId: data.prev_change_id })
    this.#books.get(channel)?.book.reset()
    const epoch = this.#socket.epoch
    const started = Date.now()
    // A fresh snapshot only comes with a new subscription: unsubscribe, then subscribe again.
    void (async () => {
      try {
        await this.#wire.unsubscribe([channel], { authenticated: this.#authenticated, epoch })
        await this.#wire.subscribe([channel], { authenticated: this.#authenticated, epoch })
        this.emit('resubscribed', { reason: 'gap', channels: [channel], ms: Date.now() - started })
      } catch (error) {
        this.#logger.warn('resubscribe after gap failed; the reconnect will restore it', {
          channel,
          error: describe(error),
        })
      }
    })()
  }

  async #resumeFromStore(): Promise<void> {
    const name = this.#options.sessionName
    if (!name || !this.#persistence.enabled) return
    try {
      const resumed = await this.#persistence.resume(name)
      if (resumed) {
        this.#chain = [resumed]
        this.#logger.info('resuming stored session', { session: resumed.id })
      }
    } catch (error) {
      if (error instanceof RevokedError) throw error
      this.#logger.warn('session store unreadable; authenticating afresh', { error: describe(error) })
    }
  }

  /** An operator revoked this session through the store: log out, close, never reconnect. */
  async #revokedByOperator(sessionName: string): Promise<void> {
    if (this.#state === 'closed' || this.#revokedEmitted) return
    this.#revokedEmitted = true
    const error = new RevokedError(`Session ${sessionName} was revoked by an operator`)
    this.#logger.warn('session revoked through the store; logging out', { session: sessionName })
    this.emit('revoked', error)
    this.#connectWaiter?.reject(error)
    if (this.#gate.isOpen) {
      const timer = new Promise<void>((resolve) => setTimeout(resolve, 500))
      await Promise.race([this.logout().catch(() => undefined), timer])
    }
    await this.close()
  }

  #onOpen(epoch: number): void {
    void this.#establish(epoch)
  }

  async #establish(epoch: number): Promise<void> {
    const started = Date.now()
    this.#setState('authenticating')
    this.#authenticated = false
    const caller = this.#epochCaller(epoch)
    try {
      // The heartbeat request goes out with the authentication, not before it: one round trip less.
      const heartbeat =
        this.#options.heartbeatIntervalSec > 0
          ? caller.call('public/set_heartbeat', { interval: this.#options.heartbeatIntervalSec })
          : undefined
      heartbeat?.catch(() => undefined)
      const from = this.#session
      const to = await this.#authenticateConnection(epoch)
      let channels: string[]
      let requests: Promise<[{ confirmed: string[] }, number, unknown]>
      try {
        // Private channels asked for before (or under another identity) follow the connection's identity.
        this.#registry.adoptIdentity(this.#registry.activeIdentity, this.#identityKey())
        this.#resyncing.clear()
        channels = [...this.#registry.publicChannels(), ...this.#registry.privateChannels(this.#identityKey())]
        requests = Promise.all([
          this.#wire.subscribe(channels, { authenticated: this.#authenticated, epoch }),
          to ? this.#reconcileOrders(epoch) : Promise.resolve(0),
          to && this.#options.cancelOnDisconnect
            ? caller.call('private/enable_cancel_on_disconnect', { scope: 'connection' })
            : undefined,
        ])
      } finally {
        if (to) this.#keep(to)
      }
      // The heartbeat's answer comes with the authentication's: the requests above did not wait
      // for it, and the watchdog starts as soon as it is in.
      const [[{ confirmed }, reconciled]] = await Promise.all([
        requests,
        heartbeat?.then(() => this.#watchdog?.start()),
      ])
      if (this.#socket.epoch !== epoch) return
      this.#connected.open()
      this.#openForCalls()
      const firstTime = !this.#everReady
      this.#everReady = true
      if (channels.length > 0)
        this.emit('resubscribed', { reason: 'reconnect', channels: confirmed, ms: Date.now() - started })
      if (to) {
        this.#emitTransition({
          kind: to.transition,
          cause: firstTime ? 'connect' : 'reconnect',
          from,
          to,
          resubscribed: confirmed.length,
          reconciled,
          ms: Date.now() - started,
        })
      }
      this.#connectWaiter?.resolve()
    } catch (error) {
      if (this.#state === 'closed') return
      if (error instanceof RevokedError) {
        this.#revoke(error)
        return
      }
      this.#logger.warn('could not establish the session on the new socket; reconnecting', { error: describe(error) })
      if (this.#socket.epoch === epoch) this.#socket.drop('establish failed')
    }
  }

  /** Where side connections (held-session refresh and logout) go, and how. */
  #sideOptions() {
    return {
      url: this.#options.url,
      WebSocket: this.#options.WebSocket,
      timeoutMs: this.#options.requestTimeoutMs,
      maxPayloadBytes: this.#options.maxPayloadBytes,
      logger: this.#logger,
    }
  }

  /** Makes `context` the active one: chain, refresh timer, store. */
  #commit(context: SessionContext): void {
    this.#activate(context)
    this.#keep(context)
  }

  /** The half of {@link #commit} the wire depends on: `context` becomes the active session. */
  #activate(context: SessionContext): void {
    const previous = this.#chain[0]
    if (previous?.active) this.#chain[0] = withChanges(previous, { active: false })
    this.#chain.unshift(context)
    if (this.#chain.length > 64) this.#chain.length = 64
  }

  /**
   * The other half: its refresh timer, the held sessions and the store. A transition runs it
   * after writing its subscribe requests, so that the bookkeeping overlaps the exchange's answer
   * instead of delaying the request (nothing here changes what is sent).
   */
  #keep(context: SessionContext): void {
    this.#refresher.schedule(context)
    this.#held.activate(context, Date.now())
    if (context.lockVersion > 0 && context.lastRefreshedAt !== undefined) return // saved by its refresh claim
    this.#persistence.save(context).then(
      (saved) => {
        if (this.#chain[0] === context) this.#chain[0] = saved
      },
      (error: unknown) => {
        if (error instanceof RevokedError) void this.#revokedByOperator(context.sessionName ?? '')
      },
    )
  }

  #emitTransition(event: TransitionEvent): void {
    this.emit('transition', event)
  }

  /** Authenticates a fresh connection and makes the result the active session; the caller then runs {@link #keep}. */
  async #authenticateConnection(epoch: number): Promise<SessionContext | undefined> {
    const context = await this.#auth.connect(this.#epochCaller(epoch), this.#session)
    if (!context) return undefined
    this.#authenticated = true
    this.#activate(context)
    return context
  }

  #reconcileOrders(epoch: number): Promise<number> {
    if (!this.#authenticated) return Promise.resolve(0)
    return this.#reconciler.reconcile(this.#epochCaller(epoch), this.#session?.subjectId)
  }

  #refresh(cause: 'user' | 'timer' | 'expired'): Promise<SessionContext> {
    return this.#refreshFlight.run('refresh', () =>
      this.#transition('refresh', cause, (from, epoch) => this.#auth.refresh(this.#epochCaller(epoch), from)),
    )
  }

  /** A private call met 13009: refresh once (shared by every caller that met it). */
  async #refreshAfterExpiry(): Promise<void> {
    await this.#refresh('expired')
  }

  /**
   * Runs one transition at a time, two-phase: the token operation, then the identity's private
   * channels and orders. If anything fails the client returns to the old session.
   */
  #transition(
    kind: TransitionKind,
    cause: TransitionEvent['cause'],
    operation: (from: SessionContext, epoch: number) => Promise<SessionContext>,
  ): Promise<SessionContext> {
    const run = async (): Promise<SessionContext> => {
      let interrupted: SessionContext | undefined
      for (let attempt = 0; ; attempt++) {
        await this.#connected.wait(this.#options.requestTimeoutMs * 3)
        const from = this.#session
        if (!from) throw new TransitionFailedError(kind, `${kind} needs an authenticated session`)
        // A refresh interrupted by a drop is done once the reconnect has authenticated afresh.
        if (attempt > 0 && kind === 'refresh' && from !== interrupted) return from
        const epoch = this.#socket.epoch
        const started = Date.now()
        this.#setState('transitioning')
        this.#gate.shut()
        try {
          return await this.#twoPhase(kind, cause, from, epoch, started, await operation(from, epoch))
        } catch (error) {
          if (error instanceof TransitionFailedError) throw error
          this.#reopen(epoch)
          // The socket went away under the token operation: nothing was committed, and the
          // reconnect re-established the old session. Ask once more on the new socket.
          const code = (error as DeribitError | undefined)?.code
          if (attempt === 0 && (code === 'CONNECTION_CLOSED' || code === 'NOT_CONNECTED')) {
            interrupted = from
            continue
          }
          throw new TransitionFailedError(kind, `${kind} failed; still on the previous session`, {
            cause: error,
            ...exchangeCodeOf(error),
          })
        }
      }
    }
    // Calls asked for from now on wait for this transition and run under its new token.
    this.#pendingTransitions++
    this.#gate.shut()
    const next = this.#transitionTail.then(run, run).finally(() => {
      this.#pendingTransitions--
      this.#openForCalls()
    })
    this.#transitionTail = next.catch(() => undefined)
    return next
  }

  /**
   * Phase two of a transition: make `to` active, move the private channels and reconcile the
   * orders when the identity changed; on any failure return to `from`.
   */
  async #twoPhase(
    kind: TransitionKind,
    cause: TransitionEvent['cause'],
    from: SessionContext,
    epoch: number,
    started: number,
    to: SessionContext,
  ): Promise<SessionContext> {
    const fromKey = this.#registry.activeIdentity
    const identityChanged = to.subjectId !== from.subjectId || to.sessionName !== from.sessionName
    let resubscribed = 0
    let reconciled = 0
    try {
      this.#activate(to)
      if (!identityChanged) this.#keep(to)
      else {
        // The exchange ended the old identity's private subscriptions silently (§10.3).
        let channels: string[]
        let requests: Promise<[{ confirmed: string[] }, number]>
        try {
          const toKey = this.#identityKey()
          channels = this.#registry.adoptIdentity(fromKey, toKey).privateChannels
          this.#wire.forgetPrivate()
          requests = Promise.all([
            this.#wire.subscribe(channels, { authenticated: true, epoch }),
            this.#reconcileOrders(epoch),
          ])
        } finally {
          this.#keep(to)
        }
        const [subscribed, reconciledCount] = await requests
        resubscribed = subscribed.confirmed.length
        reconciled = reconciledCount
        if (channels.length > 0) {
          this.emit('resubscribed', {
            reason: 'transition',
            channels: subscribed.confirmed,
            ms: Date.now() - started,
          })
        }
      }
    } catch (error) {
      await this.#rollback(from, to, epoch)
      throw new TransitionFailedError(kind, `${kind} could not complete; returned to the previous session`, {
        cause: error,
        ...exchangeCodeOf(error),
      })
    }
    this.#reopen(epoch)
    this.#emitTransition({ kind, cause, from, to, resubscribed, reconciled, ms: Date.now() - started })
    return to
  }

  async #rollback(from: SessionContext, failed: SessionContext, epoch: number): Promise<void> {
    this.#chain = this.#chain.filter((c) => c !== failed)
    this.#chain[0] = withChanges(this.#chain[0] ?? from, { active: true })
    try {
      const restored = await this.#auth.spendOnConnection(this.#epochCaller(epoch), from)
      this.#commit(restored)
      this.#registry.adoptIdentity(this.#registry.activeIdentity, this.#identityKey())
      this.#wire.forgetPrivate()
      await this.#wire.subscribe(this.#registry.privateChannels(this.#identityKey()), { authenticated: true, epoch })
      this.#reopen(epoch)
    } catch (error) {
      // The connection's identity is uncertain: a fresh socket re-establishes the old session.
      this.#logger.warn('rollback could not re-authenticate; reconnecting', { error: describe(error) })
      if (this.#socket.epoch === epoch) this.#socket.drop('rollback')
    }
  }

  /** Back to ready after a transition, unless the socket changed meanwhile (then the reconnect decides). */
  #reopen(epoch: number): void {
    if (this.#socket.epoch !== epoch || this.#socket.state !== 'open' || this.#state === 'closed') return
    this.#connected.open()
    this.#openForCalls()
  }

  /** Ready for user calls only when connected and no transition is queued. */
  #openForCalls(): void {
    if (!this.#connected.isOpen || this.#state === 'closed') return
    if (this.#pendingTransitions > 0) {
      this.#setState('transitioning')
      return
    }
    this.#setState('ready')
    this.#gate.open()
  }

  #onClose(epoch: number, intentional: boolean, willReconnect: boolean): void {
    this.#gate.shut()
    this.#connected.shut()
    this.#watchdog?.stop()
    this.#authenticated = false
    this.#rpc.failPending(
      epoch,
      (written) =>
        new ConnectionClosedError(written ? 'Socket closed before the answer came' : 'Socket closed', {
          notSent: !written,
        }),
    )
    if (this.#state === 'closed') return
    if (this.#loggingOut || intentional) return
    // Connection-scoped tokens died with the socket; only the refresh timer of session tokens stays meaningful.
    if (this.#session && !isSessionScoped(this.#session)) this.#refresher.cancel()
    if (willReconnect) this.#setState('reconnecting')
    else {
      const error = new ConnectionClosedError('Socket closed and reconnecting is off')
      this.#connectWaiter?.reject(error)
      this.emit('error', error)
      void this.close()
    }
  }

  #revoke(error: RevokedError): void {
    this.#connectWaiter?.reject(error)
    if (!this.#revokedEmitted) {
      this.#revokedEmitted = true
      this.#logger.warn('session revoked; the client stops', { code: error.exchangeCode })
      this.emit('revoked', error)
    }
    void this.close()
  }

  async #dropSubscription(subscription: Subscription, options: CallOptions): Promise<void> {
    const handler = this.#subscriptions.get(subscription)
    if (!handler) return
    this.#subscriptions.delete(subscription)
    subscription.end()
    const { goneChannels } = this.#registry.remove(subscription.channels, handler, this.#registry.activeIdentity)
    await this.#unsubscribeOnWire(goneChannels, options)
  }

  async #unsubscribeOnWire(channels: string[], options: CallOptions): Promise<void> {
    for (const channel of channels) this.#sequencer.reset(channel)
    if (channels.length === 0 || !this.#gate.isOpen) return
    try {
      await this.#wire.unsubscribe(channels, {
        authenticated: this.#authenticated,
        epoch: this.#socket.epoch,
        ...(options.signal ? { signal: options.signal } : {}),
      })
    } catch (error) {
      // After a drop the channel is simply not restored; nothing else to undo.
      if ((error as DeribitError).code !== 'CONNECTION_CLOSED' && (error as DeribitError).code !== 'NOT_CONNECTED')
        throw error
    }
  }
}

function normaliseChannels(channels: string | readonly string[]): string[] {
  const list = typeof channels === 'string' ? [channels] : [...channels]
  if (list.length === 0 || list.some((c) => typeof c !== 'string' || c.length === 0)) {
    throw new TypeError('channels must be one or more non-empty strings')
  }
  return [...new Set(list)]
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

function exchangeCodeOf(error: unknown): { exchangeCode?: number } {
  const code = (error as DeribitError | undefined)?.exchangeCode
  return typeof code === 'number' ? { exchangeCode: code } : {}
}
