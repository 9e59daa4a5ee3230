import { AbortError, ConnectionClosedError, DeribitError } from '../errors.js'
import type { IdentityLease, LeaseCallOptions } from '../orders/orderEntry.js'
import type { RpcClient } from '../rpc/rpcClient.js'
import { ReadyGate } from './readyGate.js'

/** Who the connection is signed in as, for pinning operations to it. */
export interface Carrier {
  /** The socket the identity is signed in on. */
  epoch: number
  /** The (sub)account; undefined for a public-only client. */
  subjectId: number | undefined
  /** The registry's identity key. */
  identity: string
}

/** What the gate needs from the client. */
export interface IdentityGateOptions {
  rpc: Pick<RpcClient, 'call'>
  /** The identity the connection carries now (only read while the carrier gate is open). */
  carrier: () => Carrier
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
  readonly #leases = new Map<Lease, number>()
  readonly #drains = new Set<{ before: number; done: () => void }>()
  #issued = 0

  constructor(options: IdentityGateOptions) {
    this.#options = options
  }

  /** Operations in flight. */
  get inFlight(): number {
    return this.#leases.size
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
    const lease = new Lease(this, ++this.#issued)
    this.#leases.set(lease, deadline)
    try {
      if (ahead !== undefined) await untilDeadline(ahead, deadline, signal)
      await this.carrying.wait(Math.max(1, deadline - Date.now()), signal)
      const { subjectId } = this.#options.carrier()
      lease.bind(subjectId)
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
    const lease = new Lease(this, ++this.#issued)
    this.#leases.set(lease, deadline)
    lease.bind(this.#options.carrier().subjectId)
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
    for (const [lease, deadline] of this.#leases) {
      if (lease.issued < before) latest = Math.max(latest ?? 0, deadline)
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
    if (!this.#leases.delete(lease)) return
    for (const waiter of [...this.#drains]) {
      if (this.#latestBefore(waiter.before) === undefined) waiter.done()
    }
  }

  /** @internal A leased call: waits for the carrier, checks the subject, writes on that socket. */
  send<T>(lease: Lease, method: string, params: Record<string, unknown>, options: LeaseCallOptions): Promise<T> {
    // Carried now (the usual case): no wait, so a call costs no extra turn of the event loop.
    if (this.carrying.isOpen) return this.#write<T>(lease, method, params, options)
    return this.carrying
      .wait(Math.max(1, options.deadline - Date.now()), options.signal)
      .then(() => this.#write<T>(lease, method, params, options))
  }

  #write<T>(lease: Lease, method: string, params: Record<string, unknown>, options: LeaseCallOptions): Promise<T> {
    const carrier = this.#options.carrier()
    if (carrier.subjectId !== lease.subjectId) {
      return Promise.reject(
        new DeribitError(
          'NOT_CONNECTED',
          `${method} not sent: the connection no longer carries subject ${lease.subjectId ?? 'main'}`,
          { method, data: { identityChanged: true } },
        ),
      )
    }
    return this.#options.rpc.call<T>(method, params, {
      epoch: carrier.epoch,
      timeoutMs: Math.max(1, (options.answerBy ?? options.deadline) - Date.now()),
      ...(options.signal ? { signal: options.signal } : {}),
    })
  }
}

/** One operation's hold on its identity. */
class Lease implements IdentityLease {
  readonly #gate: IdentityGate
  /** When it was issued, relative to transitions (see {@link IdentityGate.nextIssue}). */
  readonly issued: number
  #subjectId: number | undefined
  #released = false

  constructor(gate: IdentityGate, issued: number) {
    this.#gate = gate
    this.issued = issued
  }

  /** The (sub)account the operation acts for, chosen once when it may start. */
  get subjectId(): number | undefined {
    return this.#subjectId
  }

  /** @internal */
  bind(subjectId: number | undefined): void {
    this.#subjectId = subjectId
  }

  call<T>(method: string, params: Record<string, unknown>, options: LeaseCallOptions): Promise<T> {
    if (this.#released) return Promise.reject(new DeribitError('NOT_CONNECTED', `${method} after its operation ended`))
    return this.#gate.send<T>(this, method, params, options)
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
