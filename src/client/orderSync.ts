import type { DeribitError } from '../errors.js'
import type { OrderReconciler } from '../orders/orderReconciler.js'
import type { CallOptions, RpcCaller } from '../session/rpcCaller.js'
import { backoffDelay } from '../transport/backoff.js'
import type { DegradedEvent } from './events.js'
import type { Lifetime } from './lifetime.js'

/** What order sync needs from the client. */
export interface OrderSyncOptions {
  reconciler: OrderReconciler
  lifetime: Lifetime
  /** A caller pinned to one socket. */
  caller: (epoch: number) => RpcCaller
  /** Whether the connection still carries `subject` on the socket of `epoch`. */
  carries: (epoch: number, subject: number | undefined) => boolean
  onDegraded: (event: DegradedEvent) => void
}

const RETRY = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.2 } as const

/**
 * Reconciles the order tracker with the exchange after a reconnect or a change of identity,
 * without ever blocking the client: the open-order list is awaited (one round trip, pipelined
 * with the resubscription), orders that vanished meanwhile settle in the background, and a
 * refused or failed query is a degraded state (a `degraded` event, retried with backoff), not a
 * dropped socket.
 */
export class OrderSync {
  readonly #options: OrderSyncOptions

  constructor(options: OrderSyncOptions) {
    this.#options = options
  }

  /**
   * Asks for the open orders now, on the socket of `epoch`, for a {@link run} that starts later
   * (the query rides behind an authentication whose answer is not in yet). The answer is only
   * used if that run takes it.
   */
  prefetch(epoch: number): OpenOrdersPrefetch {
    const answer = this.#options.caller(epoch).call<unknown>(OPEN_ORDERS, {})
    answer.catch(() => undefined)
    return { answer }
  }

  /**
   * Resolves with how many orders the open list changed (0 when it failed: the retry is scheduled).
   * With `prefetched`, the open-order query already written is the one used.
   */
  async run(epoch: number, subject: number | undefined, attempt = 0, prefetched?: OpenOrdersPrefetch): Promise<number> {
    const { reconciler, lifetime } = this.#options
    try {
      const caller = this.#options.caller(epoch)
      const { changed, vanished } = await reconciler.start(
        prefetched === undefined ? caller : answeredFirst(caller, prefetched),
        subject,
      )
      lifetime.run(
        () => vanished,
        (error) => this.#retry(epoch, subject, attempt, error),
      )
      return changed
    } catch (error) {
      this.#retry(epoch, subject, attempt, error)
      return 0
    }
  }

  #retry(epoch: number, subject: number | undefined, attempt: number, error: unknown): void {
    const { lifetime } = this.#options
    if (lifetime.ended || !this.#options.carries(epoch, subject)) return
    const retryInMs = backoffDelay(attempt, RETRY)
    this.#options.onDegraded({ reason: 'reconcile', error: error as DeribitError, attempt: attempt + 1, retryInMs })
    lifetime.timeout(() => {
      if (this.#options.carries(epoch, subject)) void this.run(epoch, subject, attempt + 1)
    }, retryInMs)
  }
}

/** An open-order query written ahead of its reconciliation. */
export interface OpenOrdersPrefetch {
  readonly answer: Promise<unknown>
}

const OPEN_ORDERS = 'private/get_open_orders'

/** A caller whose first open-order query (without filters) is answered by the prefetched one. */
function answeredFirst(caller: RpcCaller, prefetched: OpenOrdersPrefetch): RpcCaller {
  let taken = false
  return {
    call: <T>(method: string, params?: Record<string, unknown>, options?: CallOptions): Promise<T> => {
      if (taken || method !== OPEN_ORDERS || (params !== undefined && Object.keys(params).length > 0)) {
        return caller.call<T>(method, params, options)
      }
      taken = true
      return prefetched.answer as Promise<T>
    },
  }
}
