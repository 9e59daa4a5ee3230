import { type DeribitError, OrderNotPlacedError, OrderOutcomeUnknownError } from '../errors.js'
import type { MethodParams } from '../protocol/methodTypes.js'
import type { Order, OrderResult } from '../protocol/types.js'
import type { CallOptions } from '../session/rpcCaller.js'
import { newOrderLabel } from './labels.js'
import type { OrderReconciler } from './orderReconciler.js'
import { settleByLabel } from './orderSettlement.js'
import { type OrderTracker, trackerInternals } from './orderTracker.js'

/**
 * Params of `private/buy` / `private/sell`, typed from the spec: names, required flags, types and
 * enums. `label` is generated when left out (one label per intent is how a lost answer is settled).
 */
export type OrderParams = MethodParams<'private/buy'>

/** Params of `private/edit`, typed from the spec. */
export type EditParams = MethodParams<'private/edit'>

/** Options of one leased call. */
export interface LeaseCallOptions {
  /** The operation's deadline (ms since epoch): no wait or answer goes past it. */
  deadline: number
  /** Stop waiting for the answer at this time instead (the request stays the same). */
  answerBy?: number
  signal?: AbortSignal | undefined
}

/**
 * An operation's hold on the identity it was issued under: its calls are written only while
 * the connection carries that subject, and a transition waits for it to be released.
 */
export interface IdentityLease {
  /** The (sub)account the operation acts for. */
  readonly subjectId: number | undefined
  call<T>(method: string, params: Record<string, unknown>, options: LeaseCallOptions): Promise<T>
  release(): void
}

/** What order entry needs from the client. */
export interface OrderEntryDeps {
  /** Waits for the client to accept new operations and leases the identity it carries. */
  acquire(deadline: number, signal: AbortSignal | undefined): Promise<IdentityLease>
  /** A private call met 13009: refresh the carried session now (it keeps the identity). */
  refreshOnExpiry(): Promise<unknown>
  tracker: OrderTracker
  reconciler: OrderReconciler
  /** Default of `timeoutMs`. */
  timeoutMs: number
}

/** Codes meaning the request was written and its answer lost: the exchange may or may not have acted. */
const LOST: ReadonlySet<string> = new Set(['CONNECTION_CLOSED', 'TIMEOUT', 'ABORTED'])

/** Share of the time left that a late answer is waited for before the label lookup starts alongside it. */
const LOOKUP_SHARE = 0.25
const MAX_LOOKUP_BUDGET_MS = 3000
/** Between lookups of a lost answer (each already waits for the connection). */
const RETRY_PAUSE_MS = 100

/**
 * Places, edits and cancels orders so that nothing is placed twice and nothing acts on another
 * account: each operation leases the identity it was issued under, and its send, the one resend
 * after a refused expired token, the lookup that settles a lost answer and the filing in the
 * tracker all happen under that identity, within the caller's deadline and signal. A late
 * original answer that arrives before the deadline wins; at the deadline the outcome is
 * `OUTCOME_UNKNOWN`, naming the label and subject.
 */
export class OrderEntry {
  readonly #deps: OrderEntryDeps

  constructor(deps: OrderEntryDeps) {
    this.#deps = deps
  }

  /** `private/buy` or `private/sell` under one label. */
  async place(direction: 'buy' | 'sell', params: OrderParams, options: CallOptions): Promise<OrderResult> {
    const label = params.label ?? newOrderLabel()
    const request = { ...params, label }
    return this.#operate(options, async (lease, deadline) => {
      const settle = async (): Promise<OrderResult | undefined> => {
        const order = await settleByLabel(
          { call: (m, p, o) => lease.call(m, p ?? {}, { deadline, signal: o?.signal }) },
          { label, instrumentName: params.instrument_name },
        )
        return order ? { order, trades: [] } : undefined
      }
      const result = await this.#send<OrderResult>(lease, deadline, options.signal, `private/${direction}`, request, {
        lookup: settle,
        onNone: (cause) => new OrderNotPlacedError(label, { cause }),
        unknown: (cause) => new OrderOutcomeUnknownError(label, { cause, subjectId: lease.subjectId }),
      })
      trackerInternals(this.#deps.tracker).apply(result.order, lease.subjectId)
      return result
    })
  }

  /** `private/edit`; a lost answer is settled by reading the order. */
  edit(params: EditParams, options: CallOptions): Promise<OrderResult> {
    return this.#operate(options, async (lease, deadline) => {
      const result = await this.#send<OrderResult>(
        lease,
        deadline,
        options.signal,
        'private/edit',
        { ...params },
        {
          lookup: async () => ({ order: await orderState(lease, params.order_id, deadline), trades: [] }),
        },
      )
      trackerInternals(this.#deps.tracker).apply(result.order, lease.subjectId)
      return result
    })
  }

  /** `private/cancel`; resolves with the order's final state. */
  cancel(orderId: string, options: CallOptions): Promise<Order> {
    return this.#operate(options, async (lease, deadline) => {
      const order = await this.#send<Order>(
        lease,
        deadline,
        options.signal,
        'private/cancel',
        { order_id: orderId },
        {
          lookup: () => orderState(lease, orderId, deadline),
        },
      )
      trackerInternals(this.#deps.tracker).apply(order, lease.subjectId)
      return order
    })
  }

  /** `private/cancel_all*`; afterwards the tracker is reconciled for the same account. */
  cancelAll(
    params: { currency?: string; instrument_name?: string; kind?: string; type?: string },
    options: CallOptions,
  ): Promise<number> {
    const method = params.instrument_name
      ? 'private/cancel_all_by_instrument'
      : params.currency
        ? 'private/cancel_all_by_currency'
        : 'private/cancel_all'
    return this.#idempotent(method, { ...params }, options)
  }

  /** `private/cancel_by_label`. */
  cancelByLabel(label: string, options: CallOptions & { currency?: string }): Promise<number> {
    const params = { label, ...(options.currency ? { currency: options.currency } : {}) }
    return this.#idempotent('private/cancel_by_label', params, options)
  }

  /** Cancelling everything twice cancels it once: a lost answer is asked again, under the same account only. */
  #idempotent(method: string, params: Record<string, unknown>, options: CallOptions): Promise<number> {
    return this.#operate(options, async (lease, deadline) => {
      const again = () => lease.call<number>(method, params, { deadline, signal: options.signal })
      const count = await this.#send<number>(lease, deadline, options.signal, method, params, { lookup: again })
      await this.#deps.reconciler.reconcile(
        { call: (m, p) => lease.call(m, p ?? {}, { deadline, signal: options.signal }) },
        lease.subjectId,
      )
      return count
    })
  }

  async #operate<T>(options: CallOptions, run: (lease: IdentityLease, deadline: number) => Promise<T>): Promise<T> {
    const deadline = Date.now() + (options.timeoutMs ?? this.#deps.timeoutMs)
    const lease = await this.#deps.acquire(deadline, options.signal)
    try {
      return await run(lease, deadline)
    } finally {
      lease.release()
    }
  }

  /**
   * Sends once under the lease. A definite 13009 (token expired) is sent again once after a
   * refresh: the exchange refused it before acting. An answer that is late is looked up
   * alongside (the late answer still wins if it comes first); an answer lost with the socket is
   * looked up once the identity is carried again. Nothing outlives the deadline.
   */
  async #send<T>(
    lease: IdentityLease,
    deadline: number,
    signal: AbortSignal | undefined,
    method: string,
    params: Record<string, unknown>,
    settle: {
      lookup: () => Promise<T | undefined>
      onNone?: (cause: unknown) => DeribitError
      unknown?: (cause: unknown) => DeribitError
    },
  ): Promise<T> {
    let original: Promise<T>
    for (let attempt = 0; ; attempt++) {
      original = lease.call<T>(method, params, { deadline, signal })
      // A late answer is looked up alongside before the deadline; the original keeps listening.
      const remaining = deadline - Date.now()
      const lookupAt = deadline - Math.min(MAX_LOOKUP_BUDGET_MS, remaining * LOOKUP_SHARE)
      try {
        return await raceLookup(original, lookupAt, settle.lookup)
      } catch (error) {
        const e = error as DeribitError
        if (e.code === 'AUTH_FAILED' && e.exchangeCode === 13009 && attempt === 0) {
          await this.#deps.refreshOnExpiry()
          continue
        }
        if (!LOST.has(e.code) || (e.data as { written?: boolean } | undefined)?.written === false) throw error
        if (e.code !== 'CONNECTION_CLOSED') throw settle.unknown?.(error) ?? error
        return await this.#afterDrop(deadline, settle, error)
      }
    }
  }

  /** The socket that carried the request closed: ask the exchange, once the identity is carried again. */
  async #afterDrop<T>(
    deadline: number,
    settle: {
      lookup: () => Promise<T | undefined>
      onNone?: (cause: unknown) => DeribitError
      unknown?: (cause: unknown) => DeribitError
    },
    original: unknown,
  ): Promise<T> {
    let last: unknown = original
    while (Date.now() < deadline) {
      let found: T | undefined
      try {
        found = await settle.lookup()
      } catch (error) {
        last = error
        const e = error as DeribitError
        // Only a lost or unsent lookup is worth another try; a refusal, an abort or another account is not.
        if (e.code === 'ABORTED' || e.code === 'NOT_PLACED' || isIdentityChange(e)) break
        if (!(LOST.has(e.code) || e.code === 'NOT_CONNECTED')) break
        await pause(RETRY_PAUSE_MS, deadline)
        continue
      }
      if (found !== undefined) return found
      throw settle.onNone?.(original) ?? original
    }
    throw settle.unknown?.(last) ?? last
  }
}

/**
 * Resolves with the original answer, or, when it has not come by `lookupAt`, with what a lookup
 * finds (undefined from the lookup means "not found yet": keep waiting for the original).
 */
function raceLookup<T>(original: Promise<T>, lookupAt: number, lookup: () => Promise<T | undefined>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let done = false
    const timer = setTimeout(
      () => {
        if (done) return
        lookup().then(
          (found) => {
            if (found !== undefined && !done) {
              done = true
              resolve(found)
            }
          },
          () => {
            // The lookup is a second chance only; the original's outcome decides otherwise.
          },
        )
      },
      Math.max(0, lookupAt - Date.now()),
    )
    original.then(
      (value) => {
        clearTimeout(timer)
        if (done) return
        done = true
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        if (done) return
        done = true
        reject(error)
      },
    )
  })
}

/** A pause between lookups that ends at the deadline at the latest. */
function pause(ms: number, deadline: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(ms, deadline - Date.now()))))
}

/** The connection carries another account now: the operation cannot continue under its own. */
export function isIdentityChange(error: DeribitError): boolean {
  return (error.data as { identityChanged?: boolean } | undefined)?.identityChanged === true
}

function orderState(lease: IdentityLease, orderId: string, deadline: number): Promise<Order> {
  return lease.call<Order>('private/get_order_state', { order_id: orderId }, { deadline })
}
