import { ConnectionClosedError, DeribitError } from '../errors.js'
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
  #drained: Array<() => void> = []

  constructor(options: IdentityGateOptions) {
    this.#options = options
  }

  /** Operations in flight. */
  get inFlight(): number {
    return this.#leases.size
  }

  /**
   * Waits until a new operation may start (bounded by `deadline` and `signal`), then leases the
   * identity the connection carries. With `failFast`, a connection that is down fails at once
   * with `NOT_CONNECTED` instead of waiting for the reconnect.
   */
  async acquire(deadline: number, signal: AbortSignal | undefined, failFast = false): Promise<IdentityLease> {
    if (failFast && !this.ready.isOpen && this.#options.reconnecting()) {
      throw new ConnectionClosedError('Not sent: the connection is down', { notSent: true })
    }
    await this.ready.wait(Math.max(1, deadline - Date.now()), signal)
    const { subjectId, identity } = this.#options.carrier()
    const lease = new Lease(this, subjectId, identity)
    this.#leases.set(lease, deadline)
    return lease
  }

  /**
   * Resolves once every operation in flight has ended, or when the last of their deadlines has
   * passed (an operation always ends by its deadline; this is a safety net).
   */
  drain(): Promise<void> {
    if (this.#leases.size === 0) return Promise.resolve()
    const latest = Math.max(...this.#leases.values())
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, latest - Date.now()) + 50)
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.#drained.push(done)
    })
  }

  /** Ends every wait (on close). */
  close(error: DeribitError): void {
    this.ready.close(error)
    this.carrying.close(error)
    for (const done of this.#drained.splice(0)) done()
  }

  /** @internal */
  release(lease: Lease): void {
    if (!this.#leases.delete(lease) || this.#leases.size > 0) return
    for (const done of this.#drained.splice(0)) done()
  }

  /** @internal A leased call: waits for the carrier, checks the subject, writes on that socket. */
  async send<T>(lease: Lease, method: string, params: Record<string, unknown>, options: LeaseCallOptions): Promise<T> {
    await this.carrying.wait(Math.max(1, options.deadline - Date.now()), options.signal)
    const carrier = this.#options.carrier()
    if (carrier.subjectId !== lease.subjectId) {
      throw new DeribitError(
        'NOT_CONNECTED',
        `${method} not sent: the connection no longer carries subject ${lease.subjectId ?? 'main'}`,
        { method, data: { identityChanged: true } },
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
  readonly subjectId: number | undefined
  readonly identity: string
  #released = false

  constructor(gate: IdentityGate, subjectId: number | undefined, identity: string) {
    this.#gate = gate
    this.subjectId = subjectId
    this.identity = identity
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
