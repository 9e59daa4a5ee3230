import { inspect } from 'node:util'
import type { ClientEvents, ClientState } from './client/events.js'
import { untilDeadline } from './client/identityGate.js'
import type { DeribitClientOptions } from './client/options.js'
import type { ClientParts } from './client/parts.js'
import { assembleClient } from './client/parts.js'
import type { CallArgs, ChannelArg, ChannelHandler } from './client/typedCalls.js'
import {
  ClientClosedError,
  ConnectionClosedError,
  DeribitError,
  RevokedError,
  TransitionFailedError,
} from './errors.js'
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
import { bookInternals, LocalOrderBook } from './subscriptions/orderBook.js'
import { Subscription, subscriptionInternals } from './subscriptions/subscription.js'
import type { NotificationHandler } from './subscriptions/subscriptionRegistry.js'

export type { NotificationHandler } from './subscriptions/subscriptionRegistry.js'

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

/** A local order book handed out by {@link DeribitClient.orderBook}; release it with `close()`. */
export type HeldOrderBook = LocalOrderBook & { close(): Promise<void> }

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
  readonly #books = new Map<string, { book: LocalOrderBook; refs: number; ready: Promise<Subscription> }>()
  #connecting: Promise<void> | undefined
  #connectWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined
  #unwatchRevocations: (() => void) | undefined
  /** `revoked` was emitted: one revocation can arrive several ways (store listener, a refused save, the exchange). */
  #revokedEmitted = false

  constructor(options: DeribitClientOptions) {
    if (!options)
      throw new DeribitError('INVALID_ARGUMENT', 'DeribitClient needs options: { url } or { testnet: true }')
    this.#p = assembleClient(options, {
      onEstablished: () => this.#connectWaiter?.resolve(),
      onGap: (event) => {
        // Listeners see the book as it was at the gap; then it waits, stale, for its new snapshot.
        const entry = this.#books.get(event.channel)
        this.#p.events.emit('gap', event)
        if (entry) bookInternals(entry.book).reset()
      },
      onRevoked: (error) => this.#revoke(error),
      onRevokedInStore: (name) => void this.#revokedByOperator(name),
      onGiveUp: (error) => {
        this.#connectWaiter?.reject(error)
        this.#p.events.emit('error', error)
        void this.close()
      },
    })
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
    this.#connecting ??= this.#connect(options).finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  async #connect(options: ConnectOptions): Promise<void> {
    const { connection, persistence, lifetime } = this.#p
    if (connection.state === 'closed') throw new ClientClosedError()
    if (connection.state === 'ready') return
    const starting = connection.state === 'idle'
    if (starting) {
      try {
        await this.#p.resume()
      } catch (error) {
        if (error instanceof RevokedError) this.#revoke(error)
        throw error
      }
    }
    const ready = new Promise<void>((resolve, reject) => {
      this.#connectWaiter = { resolve, reject }
    })
    if (starting) {
      this.#unwatchRevocations = persistence.watchRevocations((name) => {
        if (name === this.session?.sessionName) void this.#revokedByOperator(name)
      })
      connection.start()
    }
    // Fail fast: the first attempt's own error, not a silent wait for the timeout.
    const offError =
      starting && options.keepRetrying !== true
        ? this.#p.onSocketError((error) => {
            if (this.#connectWaiter === undefined || connection.established.isOpen) return
            const cause = error.cause instanceof Error ? error.cause : error
            this.#connectWaiter.reject(
              new ConnectionClosedError(`Could not connect to ${this.#p.options.url}: ${cause.message}`, {
                notSent: true,
                cause,
              }),
            )
            void this.close()
          })
        : undefined
    const timeoutMs = options.timeoutMs ?? 30_000
    const signals = [lifetime.signal, AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]
    const signal = AbortSignal.any(signals)
    const onAbort = () =>
      this.#connectWaiter?.reject(
        lifetime.ended
          ? new ClientClosedError()
          : new ConnectionClosedError(`Not ready within ${timeoutMs} ms or aborted`, { notSent: true }),
      )
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      await ready
    } finally {
      offError?.()
      signal.removeEventListener('abort', onAbort)
      this.#connectWaiter = undefined
    }
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
    const state = this.state
    if (state === 'closed' || state === 'idle') return Promise.reject(unusable(state))
    return this.#p.calls.call(method, params, options ?? {})
  }

  /**
   * The one escape hatch: calls a method the spec does not list (a new or undocumented one), with
   * the same identity, repeat and timeout rules as {@link DeribitClient.call}. Its result is
   * `unknown`: check it before use.
   */
  callUntyped(method: string, params?: Record<string, unknown>, options?: CallOptions): Promise<unknown> {
    const untyped = this.call as unknown as (
      m: string,
      p?: Record<string, unknown>,
      o?: CallOptions,
    ) => Promise<unknown>
    return untyped.call(this, method, params, options)
  }

  /**
   * Subscribes channels (public and `user.*`) and resolves once the exchange confirmed them (or,
   * while the socket is down, once they are desired: the reconnect subscribes them). Private
   * channels belong to the identity the client carries (one asked for during a transition, to the
   * one it ends on) and follow later exchanges. Concurrent subscribes of a channel share one
   * outcome; a refused channel rejects every one of them and nothing of the call stays subscribed.
   */
  async subscribe<const C extends ChannelName>(
    channels: ChannelArg<C> | readonly ChannelArg<C>[],
    handler?: ChannelHandler<C>,
    options: CallOptions = {},
  ): Promise<Subscription<ChannelPayload<C>>> {
    const list = normaliseChannels(channels)
    const { subscriptions, transitions, connection, options: resolved } = this.#p
    if (connection.state === 'closed') throw new ClientClosedError()
    const deadline = Date.now() + (options.timeoutMs ?? resolved.requestTimeoutMs)
    // A private channel belongs to the identity the transitions queued before the call end on.
    const ahead = list.some((c) => c.startsWith('user.')) ? transitions.ahead() : undefined
    if (ahead) await untilDeadline(ahead, deadline, options.signal)
    const subscription: Subscription<ChannelPayload<C>> = new Subscription({
      channels: list,
      unsubscribe: () => this.#end(subscription, options),
      // With a handler, nobody may ever iterate: an unread buffer must not fill up and end the subscription.
      bufferBeforeIteration: handler === undefined,
    })
    // The registry hands over what the exchange sent; the channel's payload type is what it sends.
    const sink = subscriptionInternals(subscription)
    const deliver: NotificationHandler = (data, channel, label) => {
      sink.push(channel, data as ChannelPayload<C>, label)
      handler?.(data as ChannelPayload<C>, channel as C, label)
    }
    subscriptions.add(subscription, deliver, subscriptions.registry.activeIdentity)
    if (connection.state === 'idle') return subscription
    void subscriptions.sync()
    try {
      await subscriptions.settled(list, 'on', deadline, options.signal)
    } catch (error) {
      this.#forget(subscriptions.remove(subscription, error))
      void subscriptions.sync()
      throw error
    }
    return subscription
  }

  /** Unsubscribes channels for every handler that asked for them; resolves once they left the wire. */
  async unsubscribe(channels: string | readonly string[], options: CallOptions = {}): Promise<void> {
    const list = normaliseChannels(channels)
    const { subscriptions } = this.#p
    subscriptions.removeChannels(list, subscriptions.registry.activeIdentity)
    this.#forget(list)
    await this.#settleOff(list, options)
  }

  async #end(subscription: Subscription, options: CallOptions): Promise<void> {
    const gone = this.#p.subscriptions.remove(subscription)
    this.#forget(gone)
    await this.#settleOff(gone, options)
  }

  async #settleOff(channels: readonly string[], options: CallOptions): Promise<void> {
    const { subscriptions, connection, options: resolved } = this.#p
    if (channels.length === 0 || connection.state === 'idle' || connection.state === 'closed') return
    void subscriptions.sync()
    await subscriptions.settled(
      channels,
      'off',
      Date.now() + (options.timeoutMs ?? resolved.requestTimeoutMs),
      options.signal,
    )
  }

  #forget(channels: readonly string[]): void {
    for (const channel of channels) this.#p.router.forget(channel)
  }

  /**
   * A live local order book for an instrument, rebuilt from a fresh snapshot after every gap,
   * reconnect and transition. Concurrent callers share one book; release each with `close()`.
   */
  async orderBook(
    instrument: string,
    options: { interval?: 'raw' | '100ms' | 'agg2' } & CallOptions = {},
  ): Promise<HeldOrderBook> {
    const interval = options.interval ?? '100ms'
    const channel = `book.${instrument}.${interval}` as const
    let entry = this.#books.get(channel)
    if (!entry) {
      const book = new LocalOrderBook(instrument, interval)
      const feed = bookInternals(book)
      const ready = this.subscribe(channel, (data) => feed.apply(data), options)
      const created = { book, refs: 0, ready }
      entry = created
      this.#books.set(channel, created)
      // A refused subscribe leaves no dead book behind: the next call subscribes afresh.
      ready.catch(() => {
        if (this.#books.get(channel) === created) this.#books.delete(channel)
      })
    }
    const held = entry
    const subscription = await held.ready
    held.refs++
    let released = false
    const close = async () => {
      if (released) return
      released = true
      held.refs--
      if (held.refs > 0) return
      if (this.#books.get(channel) === held) this.#books.delete(channel)
      await subscription.unsubscribe()
    }
    return Object.assign(held.book, { close })
  }

  /** Refreshes the tokens now (single-flight: concurrent callers share one refresh). */
  refreshToken(): Promise<SessionContext> {
    return this.#p.refresh('user')
  }

  /** Switches the connection to another subject (subaccount or main account) with `public/exchange_token`. */
  exchangeToken(subjectId: number, options: { scope?: string } & CallOptions = {}): Promise<SessionContext> {
    return this.#p.transitions.run(
      'exchange',
      'user',
      (from, caller) => this.#p.auth.exchange(caller, from, subjectId, options.scope),
      this.#bounds(options),
    )
  }

  /** A transition's deadline and signal, from the caller's options. */
  #bounds(options: CallOptions): { deadline?: number; signal?: AbortSignal } {
    return {
      ...(options.timeoutMs !== undefined ? { deadline: Date.now() + options.timeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    }
  }

  /** Forks the session into a new named session (session-scoped tokens only) and moves the connection to it. */
  forkToken(sessionName: string, options: CallOptions = {}): Promise<SessionContext> {
    return this.#p.transitions.run(
      'fork',
      'user',
      (from, caller) => this.#p.auth.fork(caller, from, sessionName),
      this.#bounds(options),
    )
  }

  /**
   * Makes a session this client already holds (from an earlier exchange or fork, still valid)
   * the active one without a new token operation: the connection authenticates with it, the
   * private channels move to its subject, and its orders are reconciled.
   */
  async switchSession(sessionId: string, options: CallOptions = {}): Promise<SessionContext> {
    const { held, transitions, auth } = this.#p
    if (this.session?.id === sessionId) return this.session
    if (!held.get(sessionId)) {
      throw new TransitionFailedError('switch', 'No held session with that id (ended, expired, or never held)')
    }
    return transitions.run(
      'switch',
      'user',
      async (_from, caller) => {
        const target = await held.take(sessionId)
        if (!target) throw new TransitionFailedError('switch', 'The held session ended before the switch')
        return auth.switchTo(caller, target)
      },
      this.#bounds(options),
    )
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
    this.#connectWaiter?.reject(error)
    this.#unwatchRevocations?.()
    this.#unwatchRevocations = undefined
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

  /** Runs an operation, or rejects at once when the client cannot take it. */
  #whenUsable<T>(run: () => Promise<T>): Promise<T> {
    try {
      this.#usable()
    } catch (error) {
      return Promise.reject(error)
    }
    return run()
  }

  /** Calls need a client that was connected and not closed: anything else fails at once. */
  #usable(): void {
    const state = this.state
    if (state === 'closed' || state === 'idle') throw unusable(state)
  }

  /** An operator revoked this session through the store: log out, close, never reconnect. */
  async #revokedByOperator(sessionName: string): Promise<void> {
    if (this.state === 'closed' || this.#revokedEmitted) return
    this.#revokedEmitted = true
    const error = new RevokedError(`Session ${sessionName} was revoked by an operator`)
    this.#p.logger.warn({ session: sessionName }, 'session revoked through the store; logging out')
    this.#p.events.emit('revoked', error)
    this.#connectWaiter?.reject(error)
    if (this.#p.gate.ready.isOpen) {
      await Promise.race([this.#p.logout(true).catch(() => undefined), this.#p.lifetime.sleep(500)])
    }
    await this.close()
  }

  #revoke(error: RevokedError): void {
    this.#connectWaiter?.reject(error)
    if (!this.#revokedEmitted) {
      this.#revokedEmitted = true
      this.#p.logger.warn({ code: error.exchangeCode }, 'session revoked; the client stops')
      this.#p.events.emit('revoked', error)
    }
    void this.close()
  }
}

function normaliseChannels(channels: string | readonly string[]): string[] {
  const list = typeof channels === 'string' ? [channels] : [...channels]
  if (list.length === 0 || list.some((c) => typeof c !== 'string' || c.length === 0)) {
    throw new DeribitError('INVALID_ARGUMENT', 'channels must be one or more non-empty strings')
  }
  return [...new Set(list)]
}

/** Why a client in `state` takes no calls. */
function unusable(state: 'closed' | 'idle'): DeribitError {
  return state === 'closed'
    ? new ClientClosedError()
    : new ConnectionClosedError('Not connected: call connect() first', { notSent: true })
}
