import { ConnectionClosedError, type DeribitError, RevokedError } from '../errors.js'
import type { RpcClient } from '../rpc/rpcClient.js'
import type { ActiveSession } from '../session/activeSession.js'
import type { Authenticator } from '../session/authenticator.js'
import type { RpcCaller } from '../session/rpcCaller.js'
import type { SessionContext } from '../session/sessionContext.js'
import type { SubscriptionManager } from '../subscriptions/subscriptionManager.js'
import type { IdleWatchdog } from '../transport/idleWatchdog.js'
import type { Logger } from '../transport/logger.js'
import type { ReconnectingSocket } from '../transport/socket.js'
import { BehindAuth } from './behindAuth.js'
import type { ClientEvents, ClientState } from './events.js'
import type { IdentityGate } from './identityGate.js'
import type { Lifetime } from './lifetime.js'
import type { OrderSync } from './orderSync.js'
import { ReadyGate } from './readyGate.js'

const COD = 'private/enable_cancel_on_disconnect'

/** What the connection needs from the client. */
export interface ConnectionOptions {
  socket: ReconnectingSocket
  rpc: RpcClient
  watchdog: IdleWatchdog | undefined
  active: ActiveSession
  auth: Authenticator
  subscriptions: SubscriptionManager
  orders: OrderSync
  gate: IdentityGate
  lifetime: Lifetime
  logger: Logger
  heartbeatIntervalSec: number
  cancelOnDisconnect: boolean
  /** Makes a context the kept one: refresh timer, held sessions, store. */
  keep: (context: SessionContext) => void
  /** A transition is queued or running (calls stay held). */
  transitionPending: () => boolean
  /** The socket came up signed in as a new exchange session (private channels, books start over). */
  onNewSession: () => void
  emit: <K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]) => void
  /** The exchange or the store revoked the session: the client stops. */
  onRevoked: (error: RevokedError) => void
  /** The socket closed and reconnecting is off: the client stops. */
  onGiveUp: (error: DeribitError) => void
  /** The client is ready on a new socket. */
  onEstablished: () => void
  /** A socket that may reconnect dropped. */
  onDropped: () => void
}

/**
 * The connection's lifecycle: `idle → connecting → authenticating → ready`, and on a drop
 * `reconnecting → authenticating → ready` again. On every new socket it sets the heartbeat and
 * signs in (pipelined), then resubscribes the desired channels, asks for the open orders and sets
 * cancel-on-disconnect, all together, and opens the client for calls.
 */
export class Connection {
  readonly #o: ConnectionOptions
  /** Open while a socket is up and signed in (transitions wait on this one). */
  readonly established = new ReadyGate()
  #state: ClientState = 'idle'
  /** True while subscription frames may be written (signed in, no re-authentication under way). */
  #wireOpen = false
  #everReady = false
  /** When the socket that was up dropped: a reconnect's time counts from there. */
  #droppedAt: number | undefined
  #loggingOut = false

  constructor(options: ConnectionOptions) {
    this.#o = options
    options.socket.on('open', (epoch) => void this.#establish(epoch))
    options.socket.on('close', (info) => this.#onClose(info.epoch, info.intentional, info.willReconnect))
    options.socket.on('error', (error) => options.logger.debug({ error: error.message }, 'socket error'))
  }

  get state(): ClientState {
    return this.#state
  }

  /** The current socket's epoch. */
  get epoch(): number {
    return this.#o.socket.epoch
  }

  /** Where subscription frames may go now. */
  wireTarget(): { epoch: number; authenticated: boolean } | undefined {
    return this.#wireOpen ? { epoch: this.#o.socket.epoch, authenticated: this.#o.active.signedIn } : undefined
  }

  /**
   * A caller pinned to the socket of `epoch`: nothing it sends reaches a newer socket. With
   * `behind`, the requests that need the next identity follow its authentication in the same
   * flight, when that authentication was written at once (not held by the credit pacing, which
   * could let them overtake it).
   */
  caller(
    epoch: number,
    bounds: { deadline?: number; signal?: AbortSignal | undefined } = {},
    behind?: BehindAuth,
  ): RpcCaller {
    const rpc = this.#o.rpc
    let authWritten = false
    const caller: RpcCaller = {
      call: <T>(
        method: string,
        params?: Record<string, unknown>,
        options: { signal?: AbortSignal; timeoutMs?: number } = {},
      ) => {
        const before = rpc.lastId
        const answer = rpc.call<T>(method, params, {
          ...(bounds.deadline !== undefined ? { timeoutMs: Math.max(1, bounds.deadline - Date.now()) } : {}),
          ...(bounds.signal ? { signal: bounds.signal } : {}),
          ...options,
          epoch,
        })
        if (method === 'public/auth') authWritten = rpc.lastId !== before
        return answer
      },
    }
    if (behind !== undefined) {
      caller.authWritten = (landed, subjectId) => {
        if (authWritten) behind.written(landed, subjectId)
      }
    }
    return caller
  }

  /** Opens the first socket. */
  start(): void {
    this.setState('connecting')
    this.#o.socket.open()
  }

  setState(next: ClientState): void {
    const previous = this.#state
    if (previous === next || previous === 'closed') return
    this.#state = next
    this.#o.emit('state', next, previous)
  }

  /** A re-authentication on the socket begins: nothing else is written until {@link resume}. */
  suspend(): void {
    this.#wireOpen = false
    this.#o.gate.carrying.shut()
    this.#o.gate.ready.shut()
  }

  /** The connection carries an identity again (unless the socket changed meanwhile). */
  resume(epoch: number): void {
    if (this.#o.socket.epoch !== epoch || this.#o.socket.state !== 'open' || this.#state === 'closed') return
    this.#wireOpen = true
    this.#o.gate.carrying.open()
    this.openForCalls()
    // What changed while the wire was suspended (an unsubscribe, say) goes out now.
    this.#o.subscriptions.resumed()
  }

  /** Ready for new operations only when signed in and no transition is queued. */
  openForCalls(): void {
    if (!this.established.isOpen || this.#state === 'closed') return
    if (this.#o.transitionPending()) {
      this.setState('transitioning')
      this.#o.gate.ready.shut()
      return
    }
    this.setState('ready')
    this.#o.gate.ready.open()
  }

  /** Logout is under way: the close it causes is expected. */
  set loggingOut(value: boolean) {
    this.#loggingOut = value
  }

  /** Drops the socket (the reconnect re-establishes the session). */
  drop(reason: string, epoch = this.#o.socket.epoch): void {
    if (this.#o.socket.epoch === epoch) this.#o.socket.drop(reason)
  }

  /** Ends the connection for good. */
  async close(error: DeribitError): Promise<void> {
    this.setState('closed')
    this.#wireOpen = false
    this.established.close(error)
    this.#o.watchdog?.stop()
    await this.#o.socket.close(1000, 'client closed')
    this.#o.rpc.failPending(this.#o.socket.epoch, () => error)
  }

  async #establish(epoch: number): Promise<void> {
    const o = this.#o
    const started = this.#droppedAt ?? Date.now()
    this.setState('authenticating')
    o.active.signedIn = false
    const cod = { scope: 'connection' }
    const behind = new BehindAuth({
      epoch,
      fresh: true,
      subscriptions: o.subscriptions,
      orders: o.orders,
      filedUnder: () => o.active.subjectId,
      ...(o.cancelOnDisconnect ? { more: () => caller.call(COD, cod) } : {}),
    })
    const caller = this.caller(epoch, {}, behind)
    try {
      // The heartbeat request goes out with the authentication, not before it: one round trip less.
      const heartbeat =
        o.heartbeatIntervalSec > 0
          ? caller.call('public/set_heartbeat', { interval: o.heartbeatIntervalSec })
          : undefined
      heartbeat?.catch(() => undefined)
      const from = o.active.current
      const to = await o.auth.connect(caller, from)
      if (o.socket.epoch !== epoch || o.lifetime.ended) {
        void behind.settle(false)
        return
      }
      if (to) {
        o.active.activate(to)
        o.active.signedIn = true
      }
      o.onNewSession()
      // The subscribes, the open-order query and cancel-on-disconnect went out behind the
      // authentication; what a refused one took with it goes out now, together.
      const round = await behind.settle(true)
      if (o.socket.epoch !== epoch || o.lifetime.ended) return
      this.#wireOpen = true
      const requests = Promise.all([
        Promise.all([round?.subscribed ?? Promise.resolve<string[]>([]), o.subscriptions.sync()]).then(([ahead, now]) =>
          ahead.concat(now),
        ),
        to ? o.orders.run(epoch, to.subjectId, 0, round?.openOrders) : 0,
        to && o.cancelOnDisconnect ? (round?.more ?? caller.call(COD, cod)) : undefined,
        heartbeat?.then(() => o.watchdog?.start()),
      ])
      // The bookkeeping overlaps the exchange's answers instead of delaying the requests.
      if (to) o.keep(to)
      const [confirmed, reconciled] = await requests
      if (o.socket.epoch !== epoch || o.lifetime.ended) return
      this.established.open()
      o.gate.carrying.open()
      this.openForCalls()
      const firstTime = !this.#everReady
      this.#everReady = true
      this.#droppedAt = undefined
      const ms = Date.now() - started
      if (confirmed.length > 0) o.emit('resubscribed', { reason: 'reconnect', channels: confirmed, ms })
      if (to) {
        const cause = firstTime ? 'connect' : 'reconnect'
        o.emit('transition', { kind: to.transition, cause, from, to, resubscribed: confirmed.length, reconciled, ms })
      }
      o.onEstablished()
    } catch (error) {
      this.#wireOpen = false
      void behind.settle(false)
      if (this.#state === 'closed' || o.lifetime.ended) return
      if (error instanceof RevokedError) return o.onRevoked(error)
      o.logger.warn({ error: String(error) }, 'could not establish the session on the new socket; reconnecting')
      this.drop('establish failed', epoch)
    }
  }

  #onClose(epoch: number, intentional: boolean, willReconnect: boolean): void {
    const o = this.#o
    if (this.established.isOpen) this.#droppedAt = Date.now()
    this.#wireOpen = false
    this.established.shut()
    o.gate.ready.shut()
    o.gate.carrying.shut()
    o.watchdog?.stop()
    o.active.signedIn = false
    o.rpc.failPending(
      epoch,
      (written) =>
        new ConnectionClosedError(written ? 'Socket closed before the answer came' : 'Socket closed', {
          notSent: !written,
        }),
    )
    o.subscriptions.wireChanged()
    if (this.#state === 'closed' || this.#loggingOut || intentional) return
    // Connection-scoped tokens died with the socket; only session tokens keep a refresh timer.
    o.onDropped()
    if (willReconnect) this.setState('reconnecting')
    else o.onGiveUp(new ConnectionClosedError('Socket closed and reconnecting is off'))
  }
}
