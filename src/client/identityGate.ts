import { AbortError, ConnectionClosedError, DeribitError } from '../errors.js'
import type { IdentityLease, LeaseCallOptions } from '../orders/orderEntry.js'
import type { CallSink, RpcClient } from '../rpc/rpcClient.js'
import { ReadyGate } from './readyGate.js'

/** What the gate needs from the client. */
export interface IdentityGateOptions {
  rpc: Pick<RpcClient, 'request'>
  /** The socket the connection's identity is signed in on (only read while the carrier gate is open). */
  epoch: () => number
  /** The (sub)account the connection carries; undefined for a public-only client. */
  subjectId: () => number | undefined
  /** True while the socket is down and being re-established. */
  reconnecting: () => boolean
  /** Settles when every transition queued so far has ended; undefined when none is queued. */
  transitionsAhead: () => Promise<unknown> | undefined
}

/**
 * Pins every operation to the identity it was issued under. New operations wait while a
 * transition is pending, so they belong to the identity it ends on; operations already issued
 * hold a lease, and a transition first drains every lease of the identity it leaves, bounded by
 * the operations' own deadlines, before it re-authenticates. A leased call is only written while
 * the connection carries the lease's subject; otherwise it fails, never reaching another account.
 */
export class IdentityGate {
  /** Open while new operations may start: connected, signed in, no transition pending. */
  readonly ready = new ReadyGate()
  /** Open while issued operations may send: connected and signed in, no re-authentication under way. */
  readonly carrying = new ReadyGate()
  readonly #options: IdentityGateOptions
  /**
   * Leases not released, oldest first: a list linked through the leases (issue numbers only
   * grow, so appending keeps it ordered), so that taking and releasing one, on every call,
   * allocates nothing and hashes nothing.
   */
  #oldest: Lease | undefined
  #newest: Lease | undefined
  #held = 0
  readonly #drains = new Set<{ before: number; done: () => void }>()
  #issued = 0

  constructor(options: IdentityGateOptions) {
    this.#options = options
  }

  /** Operations in flight. */
  get inFlight(): number {
    return this.#held
  }

  /**
   * Leases the identity a new operation belongs to: the one the connection carries once every
   * transition queued before the call has ended (bounded by `deadline` and `signal`). A
   * transition queued after the call waits for it. With `failFast`, a connection that is down
   * (and no transition ahead) fails at once with `NOT_CONNECTED` instead of waiting.
   */
  async acquire(deadline: number, signal: AbortSignal | undefined, failFast = false): Promise<IdentityLease> {
    const ahead = this.#options.transitionsAhead()
    if (failFast && ahead === undefined && !this.carrying.isOpen && this.#options.reconnecting()) {
      throw new ConnectionClosedError('Not sent: the connection is down', { notSent: true })
    }
    const lease = this.#take(deadline)
    try {
      if (ahead !== undefined) await untilDeadline(ahead, deadline, signal)
      await this.carrying.wait(Math.max(1, deadline - Date.now()), signal)
      lease.subjectId = this.#options.subjectId()
      return lease
    } catch (error) {
      lease.release()
      throw error
    }
  }

  /**
   * The fast path of {@link acquire}: when no transition is queued and the connection carries an
   * identity, the lease is taken at once, without a wait. Undefined otherwise.
   */
  tryAcquire(deadline: number): IdentityLease | undefined {
    if (!this.carrying.isOpen || this.#options.transitionsAhead() !== undefined) return undefined
    const lease = this.#take(deadline)
    lease.subjectId = this.#options.subjectId()
    return lease
  }

  #take(deadline: number): Lease {
    const lease = new Lease(this, ++this.#issued, deadline)
    const newest = this.#newest
    if (newest === undefined) this.#oldest = lease
    else {
      newest.next = lease
      lease.prev = newest
    }
    this.#newest = lease
    this.#held++
    return lease
  }

  /** The number the next operation will be issued with: a transition queued now drains those below it. */
  get nextIssue(): number {
    return this.#issued + 1
  }

  /**
   * Resolves once every operation issued before `before` (see {@link nextIssue}) has ended, or
   * when the last of their deadlines has passed (an operation always ends by its deadline; this
   * is a safety net).
   */
  drain(before: number): Promise<void> {
    const latest = this.#latestBefore(before)
    if (latest === undefined) return Promise.resolve()
    return new Promise<void>((resolve) => {
      const waiter = { before, done }
      const timer = setTimeout(done, Math.max(0, latest - Date.now()) + 50)
      const drains = this.#drains
      function done() {
        clearTimeout(timer)
        drains.delete(waiter)
        resolve()
      }
      this.#drains.add(waiter)
    })
  }

  #latestBefore(before: number): number | undefined {
    let latest: number | undefined
    for (let lease = this.#oldest; lease !== undefined && lease.issued < before; lease = lease.next) {
      latest = Math.max(latest ?? 0, lease.deadline)
    }
    return latest
  }

  /** Ends every wait (on close). */
  close(error: DeribitError): void {
    this.ready.close(error)
    this.carrying.close(error)
    for (const waiter of [...this.#drains]) waiter.done()
  }

  /** @internal */
  release(lease: Lease): void {
    const { prev, next } = lease
    if (prev === undefined) this.#oldest = next
    else prev.next = next
    if (next === undefined) this.#newest = prev
    else next.prev = prev
    lease.prev = undefined
    lease.next = undefined
    this.#held--
    if (this.#drains.size === 0) return
    for (const waiter of [...this.#drains]) {
      if (this.#latestBefore(waiter.before) === undefined) waiter.done()
    }
  }

  /**
   * A leased call: waits for the carrier, checks the subject, writes on that socket, and tells
   * `sink` the outcome (synchronously when it fails before anything is written).
   */
  write<T>(
    lease: IdentityLease,
    method: string,
    params: Record<string, unknown>,
    options: LeaseCallOptions,
    sink: CallSink<T>,
  ): void {
    // Carried now (the usual case): no wait, so a call costs no extra turn of the event loop.
    if (this.carrying.isOpen) {
      this.#write(lease, method, params, options, sink)
      return
    }
    this.carrying.wait(Math.max(1, options.deadline - Date.now()), options.signal).then(
      () => this.#write(lease, method, params, options, sink),
      (error: DeribitError) => sink.reject(error),
    )
  }

  #write<T>(
    lease: IdentityLease,
    method: string,
    params: Record<string, unknown>,
    options: LeaseCallOptions,
    sink: CallSink<T>,
  ): void {
    if (this.#options.subjectId() !== lease.subjectId) {
      sink.reject(
        new DeribitError(
          'NOT_CONNECTED',
          `${method} not sent: the connection no longer carries subject ${lease.subjectId ?? 'main'}`,
          { method, data: { identityChanged: true } },
        ),
      )
      return
    }
    this.#options.rpc.request<T>(
      method,
      params,
      {
        epoch: this.#options.epoch(),
        timeoutMs: Math.max(1, (options.answerBy ?? options.deadline) - Date.now()),
        signal: options.signal,
      },
      sink,
    )
  }
}

/** One operation's hold on its identity; a link in the gate's list of leases. */
class Lease implements IdentityLease {
  readonly #gate: IdentityGate
  /** When it was issued, relative to transitions (see {@link IdentityGate.nextIssue}). */
  readonly issued: number
  /** The operation's deadline: a drain waits no longer for it. */
  readonly deadline: number
  /** The (sub)account the operation acts for, chosen once when it may start. */
  subjectId: number | undefined
  prev: Lease | undefined
  next: Lease | undefined
  #released = false

  constructor(gate: IdentityGate, issued: number, deadline: number) {
    this.#gate = gate
    this.issued = issued
    this.deadline = deadline
  }

  call<T>(method: string, params: Record<string, unknown>, options: LeaseCallOptions): Promise<T> {
    if (this.#released) return Promise.reject(new DeribitError('NOT_CONNECTED', `${method} after its operation ended`))
    return new Promise<T>((resolve, reject) => this.#gate.write<T>(this, method, params, options, { resolve, reject }))
  }

  release(): void {
    if (this.#released) return
    this.#released = true
    this.#gate.release(this)
  }
}

/** Waits for `promise`, but no longer than `deadline` or `signal` allow. */
export function untilDeadline(
  promise: Promise<unknown>,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const finish = (fn: () => void) => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      fn()
    }
    const onAbort = () => finish(() => reject(new AbortError(undefined, { cause: signal?.reason })))
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(new ConnectionClosedError('Not sent: a transition ahead outlasted the deadline', { notSent: true })),
        ),
      Math.max(0, deadline - Date.now()),
    )
    if (signal?.aborted) return onAbort()
    signal?.addEventListener('abort', onAbort, { once: true })
    promise.then(
      () => finish(resolve),
      () => finish(resolve),
    )
  })
}
