import { inspect } from 'node:util'
import { Connector } from './client/connector.js'
import type { ClientEvents, ClientState } from './client/events.js'
import type { ConnectOptions, DeribitClientOptions } from './client/options.js'
import { type BookInterval, type HeldOrderBook, OrderBooks } from './client/orderBooks.js'
import type { ClientParts } from './client/parts.js'
import { assembleClient } from './client/parts.js'
import { Revocation } from './client/revocation.js'
import { SessionMoves } from './client/sessionMoves.js'
import { SubscriptionRequests } from './client/subscriptionRequests.js'
import type { CallArgs, ChannelArg, ChannelHandler } from './client/typedCalls.js'
import { ClientClosedError, ConnectionClosedError, DeribitError } from './errors.js'
import type { EditParams, OrderParams } from './orders/orderEntry.js'
import type { OrderTracker } from './orders/orderTracker.js'
import type { ChannelName } from './protocol/channelNames.js'
import type { ChannelPayload } from './protocol/channelPayloads.js'
import type { MethodName, MethodResult } from './protocol/methodTypes.js'
import type { Order, OrderResult } from './protocol/types.js'
import { redactCredentials } from './session/credentials.js'
import type { HeldSessionInfo } from './session/heldSessions.js'
import type { CallOptions } from './session/rpcCaller.js'
import type { SessionContext } from './session/sessionContext.js'
import type { Subscription } from './subscriptions/subscription.js'
import type { NotificationHandler } from './subscriptions/subscriptionRegistry.js'

export type { ConnectOptions } from './client/options.js'
export type { HeldOrderBook } from './client/orderBooks.js'
export type { NotificationHandler } from './subscriptions/subscriptionRegistry.js'

/**
 * One bot's connection to Deribit, holding one active session context and keeping every
 * subscription and the true state of every order through refresh, exchange (subaccount switch),
 * fork (named session), logout and reconnects. Every operation acts on the identity it was
 * issued under: one issued during a transition waits and runs on the identity it ends on.
 *
 * @example
 * await using client = new DeribitClient({ url: sim.url, credentials: { clientId, clientSecret } })
 * await client.connect()
 * const sub = await client.subscribe(['user.orders.any.any.raw'])
 * await client.buy({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })
 * await client.exchangeToken(subaccountId) // user.* channels now deliver the subaccount's events
 */
export class DeribitClient {
  /** Open orders and recent history, kept equal to the exchange's across every transition. */
  readonly orders: OrderTracker
  readonly #p: ClientParts
  readonly #connector: Connector
  readonly #revocation: Revocation
  readonly #requests: SubscriptionRequests
  readonly #books: OrderBooks
  readonly #moves: SessionMoves

  constructor(options: DeribitClientOptions) {
    if (!options)
      throw new DeribitError('INVALID_ARGUMENT', 'DeribitClient needs options: { url } or { testnet: true }')
    this.#p = assembleClient(options, {
      onEstablished: () => this.#connector.established(),
      onGap: (event) => this.#books.gap(event),
      onRevoked: (error) => this.#revocation.revoked(error),
      onRevokedInStore: (name) => void this.#revocation.byOperator(name),
      onGiveUp: (error) => this.#connector.giveUp(error),
    })
    const close = () => this.close()
    this.#revocation = new Revocation(this.#p, {
      sessionName: () => this.session?.sessionName,
      failConnect: (error) => this.#connector.fail(error),
      close,
    })
    this.#connector = new Connector(this.#p, {
      onStart: () => this.#revocation.watch(),
      onRevoked: (error) => this.#revocation.revoked(error),
      close,
    })
    this.#requests = new SubscriptionRequests(this.#p)
    this.#books = new OrderBooks(this.#p.events, (channel, apply, callOptions) =>
      this.#requests.subscribe(channel, apply, callOptions),
    )
    this.#moves = new SessionMoves(this.#p)
    this.orders = this.#p.tracker
  }

  /** What the client is doing now. */
  get state(): ClientState {
    return this.#p.connection.state
  }

  /** The active session context, or undefined before the first authentication (or when public-only). */
  get session(): SessionContext | undefined {
    return this.#p.active.current
  }

  /** Every session context this client has had, newest first, linked by `prevId`. */
  get sessions(): readonly SessionContext[] {
    return [...this.#p.active.chain]
  }

  /** The (sub)account id the connection is authenticated as. */
  get subjectId(): number | undefined {
    return this.#p.active.subjectId
  }

  /** Channels the client wants on the wire now: public ones and the active identity's private ones. */
  get channels(): string[] {
    return this.#p.subscriptions.registry.desiredChannels()
  }

  /** Adds a listener; returns the function that removes it. A listener that throws is reported as `error`. */
  on<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): () => void {
    return this.#p.events.on(event, listener)
  }

  /** Adds a listener called at most once; returns the function that removes it. */
  once<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): () => void {
    return this.#p.events.once(event, listener)
  }

  /** Removes a listener. */
  off<K extends keyof ClientEvents>(event: K, listener: (...args: ClientEvents[K]) => void): void {
    this.#p.events.off(event, listener)
  }

  /** How many listeners an event has. */
  listenerCount(event: keyof ClientEvents): number {
    return this.#p.events.listenerCount(event)
  }

  /**
   * Opens the socket and authenticates (or resumes a stored session), sets the heartbeat and
   * cancel-on-disconnect, and resolves when the client is ready. Rejects with an
   * {@link AuthError} when the credentials are refused (it does not retry those).
   */
  connect(options: ConnectOptions = {}): Promise<void> {
    return this.#connector.connect(options)
  }

  /**
   * Calls a method of Deribit's API, typed from its spec: the name, the params (required ones,
   * types, enums) and the result. Calls it under the identity the client carries when it is called (a call
   * made during a transition waits and runs on the identity it ends on). Reads are repeated after
   * a drop; writes are not. `timeoutMs` and `signal` bound the whole call.
   *
   * @example
   * const positions = await client.call('private/get_positions', { currency: 'BTC', kind: 'future' })
   * positions[0]?.size // number
   */
  call<M extends MethodName>(method: M, ...args: CallArgs<M>): Promise<MethodResult<M>>
  call(method: string, params?: Record<string, unknown>, options?: CallOptions): Promise<unknown> {
    return this.callUntyped(method, params, options)
  }

  /**
   * The one escape hatch: calls a method the spec does not list (a new or undocumented one), with
   * the same identity, repeat and timeout rules as {@link DeribitClient.call}. Its result is
   * `unknown`: check it before use.
   */
  callUntyped(method: string, params?: Record<string, unknown>, options?: CallOptions): Promise<unknown> {
    const state = this.state
    if (state === 'closed' || state === 'idle') return Promise.reject(unusable(state))
    return this.#p.calls.call(method, params, options ?? NO_OPTIONS)
  }

  /**
   * Subscribes channels (public and `user.*`) and resolves once the exchange confirmed them (or,
   * while the socket is down, once they are desired: the reconnect subscribes them). Private
   * channels belong to the identity the client carries (one asked for during a transition, to the
   * one it ends on) and follow later exchanges. Concurrent subscribes of a channel share one
   * outcome; a refused channel rejects every one of them and nothing of the call stays subscribed.
   */
  subscribe<const C extends ChannelName>(
    channels: ChannelArg<C> | readonly ChannelArg<C>[],
    handler?: ChannelHandler<C>,
    options: CallOptions = {},
  ): Promise<Subscription<ChannelPayload<C>>> {
    // The registry hands over what the exchange sent; the channel's payload type is what it sends.
    return this.#requests.subscribe(channels, handler as NotificationHandler | undefined, options) as Promise<
      Subscription<ChannelPayload<C>>
    >
  }

  /** Unsubscribes channels for every handler that asked for them; resolves once they left the wire. */
  unsubscribe(channels: string | readonly string[], options: CallOptions = {}): Promise<void> {
    return this.#requests.unsubscribe(channels, options)
  }

  /**
   * A live local order book for an instrument, rebuilt from a fresh snapshot after every gap,
   * reconnect and transition. Concurrent callers share one book; release each with `close()`.
   */
  orderBook(instrument: string, options: { interval?: BookInterval } & CallOptions = {}): Promise<HeldOrderBook> {
    return this.#books.hold(instrument, options.interval ?? '100ms', options)
  }

  /** Refreshes the tokens now (single-flight: concurrent callers share one refresh). */
  refreshToken(): Promise<SessionContext> {
    return this.#p.refresh('user')
  }

  /** Switches the connection to another subject (subaccount or main account) with `public/exchange_token`. */
  exchangeToken(subjectId: number, options: { scope?: string } & CallOptions = {}): Promise<SessionContext> {
    return this.#moves.exchange(subjectId, options)
  }

  /** Forks the session into a new named session (session-scoped tokens only) and moves the connection to it. */
  forkToken(sessionName: string, options: CallOptions = {}): Promise<SessionContext> {
    return this.#moves.fork(sessionName, options)
  }

  /**
   * Makes a session this client already holds (from an earlier exchange or fork, still valid)
   * the active one without a new token operation: the connection authenticates with it, the
   * private channels move to its subject, and its orders are reconciled.
   */
  switchSession(sessionId: string, options: CallOptions = {}): Promise<SessionContext> {
    return this.#moves.switchTo(sessionId, options)
  }

  /** The sessions this client holds, the active one first; `includeEnded` adds ended records. */
  heldSessions(options: { includeEnded?: boolean } = {}): HeldSessionInfo[] {
    return this.#p.held.list(options.includeEnded ?? false)
  }

  /**
   * Ends a held session at the exchange (`private/logout` with `invalidate_token`, over a side
   * connection so the client's own socket stays up) and keeps its record, inactive, with the
   * time it ended. Ending the active session is {@link DeribitClient.logout}.
   */
  async endSession(sessionId: string): Promise<void> {
    if (this.session?.id === sessionId) return this.logout()
    await this.#p.endHeld(sessionId)
  }

  /** Places a buy order under a label (given or generated). A lost answer is settled by label, never re-sent. */
  buy(params: OrderParams, options: CallOptions = {}): Promise<OrderResult> {
    return this.#whenUsable(() => this.#p.orderEntry.place('buy', params, options))
  }

  /** Places a sell order; see {@link DeribitClient.buy}. */
  sell(params: OrderParams, options: CallOptions = {}): Promise<OrderResult> {
    return this.#whenUsable(() => this.#p.orderEntry.place('sell', params, options))
  }

  /** Edits an open order. A lost answer is settled by reading the order's state. */
  edit(params: EditParams, options: CallOptions = {}): Promise<OrderResult> {
    return this.#whenUsable(() => this.#p.orderEntry.edit(params, options))
  }

  /** Cancels an order; resolves with its final state. */
  cancel(orderId: string, options: CallOptions = {}): Promise<Order> {
    return this.#whenUsable(() => this.#p.orderEntry.cancel(orderId, options))
  }

  /** Cancels every open order (or those matching Deribit's `cancel_all_by_*` params); returns the count. */
  cancelAll(
    params: { currency?: string; instrument_name?: string; kind?: string; type?: string } = {},
    options: CallOptions = {},
  ): Promise<number> {
    return this.#whenUsable(() => this.#p.orderEntry.cancelAll(params, options))
  }

  /** Cancels every open order carrying a label; returns the count. */
  cancelByLabel(label: string, options: CallOptions & { currency?: string } = {}): Promise<number> {
    return this.#whenUsable(() => this.#p.orderEntry.cancelByLabel(label, options))
  }

  /**
   * Logs out: the exchange invalidates the session's tokens (by default) and closes the socket.
   * The client ends in `closed` and does not reconnect.
   */
  async logout(options: { invalidateToken?: boolean } = {}): Promise<void> {
    if (this.state === 'closed') return
    await this.#p.logout(options.invalidateToken ?? true)
    await this.close()
  }

  /** Closes the socket for good (no logout: session-scoped tokens stay valid). Nothing stays armed. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed' || this.#p.lifetime.ended) return
    const error = new ClientClosedError()
    this.#connector.fail(error)
    this.#revocation.stop()
    await this.#p.close(error)
  }

  /** `await using client = new DeribitClient(...)` closes it at the end of the scope. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close()
  }

  /** Never shows the credentials or tokens. */
  [inspect.custom](): string {
    const { options, credentials } = this.#p
    return `DeribitClient { state: ${this.state}, url: ${options.url}, credentials: ${
      credentials ? inspect(redactCredentials(credentials)) : 'none'
    }, session: ${this.session ? this.session.id : 'none'} }`
  }

  /** Only non-secret facts, so a client can be logged as JSON. */
  toJSON(): Record<string, unknown> {
    return { state: this.state, url: this.#p.options.url, session: this.session?.id, subjectId: this.subjectId }
  }

  /** Runs an operation, or rejects at once when the client cannot take it (closed, or never connected). */
  #whenUsable<T>(run: () => Promise<T>): Promise<T> {
    const state = this.state
    if (state === 'closed' || state === 'idle') return Promise.reject(unusable(state))
    return run()
  }
}

/** The options of a call given none. */
const NO_OPTIONS: CallOptions = Object.freeze({})

/** Why a client in `state` takes no calls. */
function unusable(state: 'closed' | 'idle'): DeribitError {
  return state === 'closed'
    ? new ClientClosedError()
    : new ConnectionClosedError('Not connected: call connect() first', { notSent: true })
}
