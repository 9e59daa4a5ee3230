import { DeribitError } from '../errors.js'
import type { IdentityLease } from '../orders/orderEntry.js'
import { isRepeatable } from '../rpc/callPolicy.js'
import type { CallSink } from '../rpc/rpcClient.js'
import type { CallOptions } from '../session/rpcCaller.js'
import type { IdentityGate } from './identityGate.js'

/** What {@link LeasedCalls} needs from the client. */
export interface LeasedCallsOptions {
  gate: Pick<IdentityGate, 'tryAcquire' | 'acquire' | 'write'>
  /** Default of `timeoutMs`. */
  timeoutMs: number
  /** Notes when the bot last called (a stored session's idle clock). */
  touch: (now: number) => void
  /** True while the client has a session to refresh. */
  hasSession: () => boolean
  /** A private call met 13009: refresh the carried session now (it keeps the identity). */
  refreshOnExpiry: () => Promise<unknown>
}

/** The params of a call given none (shared: nothing writes to a call's params). */
const NO_PARAMS: Record<string, unknown> = Object.freeze({})

/** How often one call is written at most (the first write and two repeats). */
const MAX_ATTEMPTS = 3

/**
 * Runs `client.call()`: each call leases the identity it is issued under and is repeated, by
 * the repeat rules, under that lease only. The usual case, a connection that carries an identity
 * with no transition queued, takes the lease and writes the frame before `call()` returns, and
 * the answer settles the caller's promise in the turn it arrives in: nothing is awaited between
 * the call and the socket, or between the frame and the caller.
 */
export class LeasedCalls {
  readonly #o: LeasedCallsOptions

  constructor(options: LeasedCallsOptions) {
    this.#o = options
  }

  /** Calls `method` under the identity the client carries (or, during a transition, the one it ends on). */
  call(method: string, params: Record<string, unknown> | undefined, options: CallOptions): Promise<unknown> {
    const o = this.#o
    const now = Date.now()
    const deadline = now + (options.timeoutMs ?? o.timeoutMs)
    o.touch(now)
    const lease = o.gate.tryAcquire(deadline)
    if (lease === undefined) return this.#afterWaiting(method, params ?? NO_PARAMS, deadline, options.signal)
    return new Promise<unknown>((resolve, reject) => {
      const first = new FirstAttempt(
        this,
        lease,
        method,
        params ?? NO_PARAMS,
        deadline,
        options.signal,
        resolve,
        reject,
      )
      o.gate.write(lease, method, first.params, first, first)
    })
  }

  /** A call that has to wait for its lease: a transition is queued, or the connection is down. */
  async #afterWaiting(
    method: string,
    params: Record<string, unknown>,
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<unknown> {
    const lease = await this.#o.gate.acquire(deadline, signal)
    try {
      return await lease.call<unknown>(method, params, { deadline, signal })
    } catch (error) {
      return await this.repeat(lease, method, params, deadline, signal, error)
    } finally {
      lease.release()
    }
  }

  /**
   * The first write failed: writes again under the same lease while the rules allow (at most
   * {@link MAX_ATTEMPTS} writes in all, within the deadline), or rejects with the last failure.
   * The caller releases the lease.
   */
  async repeat(
    lease: IdentityLease,
    method: string,
    params: Record<string, unknown>,
    deadline: number,
    signal: AbortSignal | undefined,
    failure: unknown,
  ): Promise<unknown> {
    let last = failure
    for (let attempt = 2; ; attempt++) {
      if (attempt > MAX_ATTEMPTS || Date.now() >= deadline || !(await this.#mayRepeat(last, method))) throw last
      try {
        return await lease.call<unknown>(method, params, { deadline, signal })
      } catch (error) {
        last = error
      }
    }
  }

  /** Whether a failed call may go again: never written, an expired token (refreshed first), or a lost read. */
  async #mayRepeat(error: unknown, method: string): Promise<boolean> {
    if (!(error instanceof DeribitError)) return false
    if (error.code === 'NOT_CONNECTED') return (error.data as { identityChanged?: boolean })?.identityChanged !== true
    if (
      error.code === 'AUTH_FAILED' &&
      error.exchangeCode === 13009 &&
      this.#o.hasSession() &&
      method.startsWith('private/')
    ) {
      await this.#o.refreshOnExpiry()
      return true
    }
    return (error.code === 'CONNECTION_CLOSED' || error.code === 'RATE_LIMITED') && isRepeatable(method)
  }
}

/**
 * A call's first write, and the sink its outcome comes to: an answer settles the caller's
 * promise at once; a failure hands the call to {@link LeasedCalls.repeat}. One object per call
 * serves as the write's options and its sink, so the fast path allocates nothing else of its own.
 */
class FirstAttempt implements CallSink {
  readonly #calls: LeasedCalls
  readonly #lease: IdentityLease
  readonly #method: string
  readonly params: Record<string, unknown>
  readonly deadline: number
  readonly signal: AbortSignal | undefined
  readonly #resolve: (value: unknown) => void
  readonly #reject: (error: unknown) => void

  constructor(
    calls: LeasedCalls,
    lease: IdentityLease,
    method: string,
    params: Record<string, unknown>,
    deadline: number,
    signal: AbortSignal | undefined,
    resolve: (value: unknown) => void,
    reject: (error: unknown) => void,
  ) {
    this.#calls = calls
    this.#lease = lease
    this.#method = method
    this.params = params
    this.deadline = deadline
    this.signal = signal
    this.#resolve = resolve
    this.#reject = reject
  }

  resolve(value: unknown): void {
    this.#lease.release()
    this.#resolve(value)
  }

  reject(error: DeribitError): void {
    const lease = this.#lease
    // Released before the caller hears, as on success: an operation has ended when its promise settles.
    this.#calls.repeat(lease, this.#method, this.params, this.deadline, this.signal, error).then(
      (value) => {
        lease.release()
        this.#resolve(value)
      },
      (failure: unknown) => {
        lease.release()
        this.#reject(failure)
      },
    )
  }
}
