import { AbortError, type DeribitError, TimeoutError, TransitionFailedError } from '../errors.js'
import type { ActiveSession } from '../session/activeSession.js'
import type { TokenResult } from '../session/authenticator.js'
import type { RpcCaller } from '../session/rpcCaller.js'
import type { SessionContext, TransitionKind } from '../session/sessionContext.js'
import { SingleFlight } from '../session/singleFlight.js'
import type { SubscriptionManager } from '../subscriptions/subscriptionManager.js'
import type { Logger } from '../transport/logger.js'
import { BehindAuth } from './behindAuth.js'
import type { Connection } from './connection.js'
import type { ClientEvents, TransitionEvent } from './events.js'
import { type IdentityGate, untilDeadline } from './identityGate.js'
import type { Lifetime } from './lifetime.js'
import type { OrderSync } from './orderSync.js'

/** A token operation: from the active context, on the socket the caller is pinned to. */
export type TokenOperation = (from: SessionContext, caller: RpcCaller) => Promise<TokenResult>

/** What transitions need from the client. */
export interface TransitionsOptions {
  connection: Connection
  active: ActiveSession
  gate: IdentityGate
  subscriptions: SubscriptionManager
  orders: OrderSync
  lifetime: Lifetime
  logger: Logger
  /** How long a transition waits for the connection before it gives up. */
  waitMs: number
  keep: (context: SessionContext) => void
  /** The connection is a new exchange session (its private subscriptions ended). */
  onNewSession: () => void
  emit: <K extends keyof ClientEvents>(event: K, ...args: ClientEvents[K]) => void
}

/**
 * Runs transitions one at a time. From the moment one is asked for, new operations wait (they
 * belong to the identity it ends on). When its turn comes it waits for the connection, drains
 * the operations still in flight under the identity it leaves (bounded by their deadlines; a
 * refresh keeps the identity and skips this), then suspends the wire, runs the token operation
 * and commits: the new context is active, private channels follow it, orders are reconciled.
 * If the token operation fails nothing was committed and the connection still carries the old
 * session; if it failed after the connection may have changed identity, the socket is dropped
 * and the reconnect re-establishes the old session.
 */
export class Transitions {
  readonly #o: TransitionsOptions
  #tail: Promise<unknown> = Promise.resolve()
  #pending = 0
  readonly #refreshes = new SingleFlight<SessionContext>()

  constructor(options: TransitionsOptions) {
    this.#o = options
  }

  /** Settles when every transition queued so far has ended; undefined when none is queued. */
  ahead(): Promise<unknown> | undefined {
    return this.#pending > 0 ? this.#tail : undefined
  }

  /** True while a transition is queued or running. */
  get pending(): boolean {
    return this.#pending > 0
  }

  /**
   * Queues a transition; resolves with the context it ends on. Operations issued before it are
   * drained first; `deadline` and `signal` bound the whole of it, its turn in the queue included.
   */
  run(
    kind: TransitionKind,
    cause: TransitionEvent['cause'],
    operation: TokenOperation,
    bounds: TransitionBounds = {},
  ): Promise<SessionContext> {
    const deadline = bounds.deadline ?? Date.now() + this.#o.waitMs
    const signal = bounds.signal
    const issued = this.#o.gate.nextIssue
    const verdict: Verdict = { expired: false, committed: false }
    this.#pending++
    this.#o.gate.ready.shut()
    if (this.#o.connection.established.isOpen) this.#o.connection.setState('transitioning')
    const next = this.#tail
      .then(() => this.#execute(kind, cause, operation, issued, deadline, signal, verdict))
      .finally(() => {
        this.#pending--
        this.#o.connection.openForCalls()
      })
    this.#tail = next.catch(() => undefined)
    return withinBounds(next, kind, deadline, signal, verdict)
  }

  /**
   * A refresh through the queue, shared by concurrent askers. A queued refresh finds the work
   * done when the session was refreshed after it was asked for (by an expiry refresh, say).
   */
  refresh(cause: TransitionEvent['cause'], operation: TokenOperation): Promise<SessionContext> {
    const askedAt = Date.now()
    return this.#refreshes.run('queued', () =>
      this.run('refresh', cause, async (from, caller) => {
        if ((from.lastRefreshedAt ?? 0) >= askedAt) return { context: from, newSession: false, unchanged: true }
        return operation(from, caller)
      }),
    )
  }

  /**
   * A call met an expired token: refresh now, on the connection, without queueing behind other
   * transitions (the operation that asks holds a lease they are waiting for). Keeps the identity.
   */
  refreshNow(operation: TokenOperation): Promise<SessionContext> {
    return this.#refreshes.run('now', async () => {
      await this.#o.connection.established.wait(this.#o.waitMs, this.#o.lifetime.signal)
      const from = this.#o.active.current
      if (!from) throw new TransitionFailedError('refresh', 'refresh needs an authenticated session')
      const epoch = this.#o.connection.epoch
      const started = Date.now()
      const result = await operation(from, this.#o.connection.caller(epoch))
      return this.#commit('refresh', 'expired', from, epoch, started, result)
    })
  }

  async #execute(
    kind: TransitionKind,
    cause: TransitionEvent['cause'],
    operation: TokenOperation,
    issued: number,
    deadline: number,
    signal: AbortSignal | undefined,
    verdict: Verdict,
  ): Promise<SessionContext> {
    const { connection, gate, lifetime } = this.#o
    let interrupted: SessionContext | undefined
    for (let attempt = 0; ; attempt++) {
      // Its caller has given up already: nothing of it may run.
      if (Date.now() >= deadline || signal?.aborted) throw timedOut(kind)
      // Composed only when the caller gave a signal: AbortSignal.any costs a transition tens of µs.
      const bound = signal === undefined ? lifetime.signal : AbortSignal.any([lifetime.signal, signal])
      await connection.established.wait(Math.max(1, deadline - Date.now()), bound)
      // The operations issued before it finish under the identity it leaves, on this connection.
      if (kind !== 'refresh') await untilDeadline(gate.drain(issued), deadline, bound)
      if (Date.now() >= deadline || signal?.aborted) throw timedOut(kind)
      if (!connection.established.isOpen) continue
      // Read after the drain: an operation may have refreshed the session meanwhile.
      const from = this.#o.active.current
      if (!from) throw new TransitionFailedError(kind, `${kind} needs an authenticated session`)
      // A refresh interrupted by a drop is done once the reconnect has signed in afresh.
      if (interrupted !== undefined && kind === 'refresh' && from !== interrupted) return from
      const epoch = this.#o.connection.epoch
      const started = Date.now()
      connection.suspend()
      // The private subscribes and the open-order query for the identity it moves to go out
      // right behind its authentication (see BehindAuth).
      const behind = new BehindAuth({
        epoch,
        fresh: false,
        subscriptions: this.#o.subscriptions,
        orders: this.#o.orders,
        filedUnder: () => this.#o.active.subjectId,
      })
      let result: TokenResult
      try {
        result = await operation(from, connection.caller(epoch, { deadline, signal }, behind))
      } catch (error) {
        void behind.settle(false)
        const code = (error as DeribitError | undefined)?.code
        // An answer that never came may still have moved the connection: a fresh socket settles it.
        const uncertain = code === 'TIMEOUT' || code === 'ABORTED'
        if ((error as { tainted?: boolean }).tainted === true || uncertain)
          connection.drop(`${kind} left the connection's identity uncertain`, epoch)
        else connection.resume(epoch)
        // The socket went away under the token operation: nothing was committed; ask again on the next one.
        if (attempt === 0 && (code === 'CONNECTION_CLOSED' || code === 'NOT_CONNECTED')) {
          interrupted = from
          continue
        }
        throw new TransitionFailedError(kind, `${kind} failed; still on the previous session: ${describe(error)}`, {
          cause: error,
          ...exchangeCodeOf(error),
        })
      }
      // The caller was told it failed while the answer was on its way: a refresh (same identity,
      // old token spent) is kept quietly; anything else is undone by a fresh socket.
      if (verdict.expired && kind !== 'refresh') {
        void behind.settle(false)
        connection.drop(`${kind} completed after its deadline`, epoch)
        throw timedOut(kind)
      }
      verdict.committed = true
      return this.#commit(kind, cause, from, epoch, started, result, behind)
    }
  }

  /** Makes the new context active, moves private channels when the session changed, reconciles orders. */
  async #commit(
    kind: TransitionKind,
    cause: TransitionEvent['cause'],
    from: SessionContext,
    epoch: number,
    started: number,
    result: TokenResult,
    behind?: BehindAuth,
  ): Promise<SessionContext> {
    const { active, subscriptions, connection, lifetime } = this.#o
    const to = result.context
    if (result.unchanged === true || lifetime.ended) {
      void behind?.settle(false)
      connection.resume(epoch)
      return to
    }
    active.activate(to)
    active.signedIn = true
    const subjectChanged = to.subjectId !== from.subjectId
    if (result.newSession) this.#o.onNewSession()
    connection.resume(epoch)
    const round = result.newSession ? await behind?.settle(true) : await behind?.settle(false)
    // What did not go out behind the authentication goes out now, together, then the bookkeeping.
    const requests = Promise.all([
      result.newSession
        ? Promise.all([round?.subscribed ?? Promise.resolve<string[]>([]), subscriptions.sync()]).then(([ahead, now]) =>
            ahead.concat(now),
          )
        : Promise.resolve([]),
      subjectChanged || result.newSession ? this.#o.orders.run(epoch, to.subjectId, 0, round?.openOrders) : 0,
    ])
    this.#o.keep(to)
    const [confirmed, reconciled] = await requests
    const ms = Date.now() - started
    if (confirmed.length > 0) this.#o.emit('resubscribed', { reason: 'transition', channels: confirmed, ms })
    this.#o.emit('transition', { kind, cause, from, to, resubscribed: confirmed.length, reconciled, ms })
    return to
  }
}

/** How long a transition may take, from its call. */
export interface TransitionBounds {
  /** @default now + the client's transition wait (three request timeouts) */
  deadline?: number
  signal?: AbortSignal | undefined
}

/** One transition's outcome as its caller sees it: the deadline and the commit exclude each other. */
interface Verdict {
  /** The caller was told it failed (deadline or signal). */
  expired: boolean
  /** It committed: the caller will hear its result, whenever that comes. */
  committed: boolean
}

function timedOut(kind: TransitionKind): TransitionFailedError {
  return new TransitionFailedError(
    kind,
    `${kind} did not complete within its deadline; still on the previous session`,
    {
      cause: new TimeoutError(`${kind} deadline passed`),
    },
  )
}

/** The transition's promise, settled at the latest by its deadline or signal. */
function withinBounds(
  next: Promise<SessionContext>,
  kind: TransitionKind,
  deadline: number,
  signal: AbortSignal | undefined,
  verdict: Verdict,
): Promise<SessionContext> {
  return new Promise<SessionContext>((resolve, reject) => {
    const finish = (fn: () => void) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      fn()
    }
    const expire = (error: DeribitError) => {
      if (verdict.committed) return
      verdict.expired = true
      finish(() => reject(error))
    }
    const onAbort = () => expire(new AbortError(`${kind} was aborted`, { cause: signal?.reason }))
    const timer = setTimeout(() => expire(timedOut(kind)), Math.max(0, deadline - Date.now()))
    if (signal?.aborted) onAbort()
    else signal?.addEventListener('abort', onAbort, { once: true })
    next.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    )
  })
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

function exchangeCodeOf(error: unknown): { exchangeCode?: number } {
  const code = (error as DeribitError | undefined)?.exchangeCode
  return typeof code === 'number' ? { exchangeCode: code } : {}
}
