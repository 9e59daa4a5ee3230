import PQueue from 'p-queue'
import { AbortError, ConnectionClosedError, DeribitError } from '../errors.js'
import { monotonicNow, SYSTEM_TIMERS, type Timers } from '../transport/timers.js'
import { MATCHING_ENGINE_METHODS } from './callPolicy.js'

/**
 * One of Deribit's credit pools: a leaky bucket that holds up to
 * `maxCredits`, refills continuously at `refillPerSecond`, and is charged `costPerRequest` per call.
 */
export interface CreditPoolConfig {
  /** Credits one request charged to this pool spends. */
  costPerRequest: number
  /** Credits the pool holds when full (the burst is `maxCredits / costPerRequest` requests). */
  maxCredits: number
  /** Credits restored per second (the sustained rate is `refillPerSecond / costPerRequest` requests/s). */
  refillPerSecond: number
  /** Methods charged to this pool; the pool named `default` takes every method no pool lists. */
  methods?: readonly string[]
}

/**
 * Deribit's documented pools. The matching-engine pool models tier 4 (5 requests/s, burst 20),
 * the most conservative tier; pass `pools.matchingEngine` for a higher one.
 */
export const DEFAULT_CREDIT_POOLS: Readonly<Record<string, Readonly<CreditPoolConfig>>> = Object.freeze({
  default: Object.freeze({ costPerRequest: 500, maxCredits: 50_000, refillPerSecond: 10_000 }),
  subscribe: Object.freeze({
    costPerRequest: 3_000,
    maxCredits: 30_000,
    refillPerSecond: 10_000,
    methods: Object.freeze(['public/subscribe', 'private/subscribe']),
  }),
  matchingEngine: Object.freeze({
    costPerRequest: 1,
    maxCredits: 20,
    refillPerSecond: 5,
    methods: MATCHING_ENGINE_METHODS,
  }),
  getInstruments: Object.freeze({
    costPerRequest: 10_000,
    maxCredits: 500_000,
    refillPerSecond: 10_000,
    methods: Object.freeze(['public/get_instruments']),
  }),
  getTransactionLog: Object.freeze({
    costPerRequest: 10_000,
    maxCredits: 80_000,
    refillPerSecond: 10_000,
    methods: Object.freeze(['private/get_transaction_log']),
  }),
})

/** Options of the client's credit pacing (`DeribitClientOptions.rateLimit`): calls wait for credits instead of drawing error 10028. */
export interface CreditLimiterOptions {
  /**
   * Pool settings by name, merged field by field over `DEFAULT_CREDIT_POOLS`; a new name
   * adds a pool (then all three numbers are required). @default DEFAULT_CREDIT_POOLS
   */
  pools?: Record<string, Partial<CreditPoolConfig>> | undefined
  /** Monotonic clock in ms. @default performance.now */
  now?: (() => number) | undefined
  /** Timer source. @default the platform's timers */
  timers?: Timers | undefined
  /**
   * Requests of each burst held back from the exchange's pool size, so a request whose transit
   * took longer than its neighbours' cannot arrive at an empty pool (pools that hold fewer than
   * two requests keep their whole size). @default 0
   */
  reserveRequests?: number | undefined
  /** Share of each pool's refill rate to pace at, for the same reason. @default 1 */
  refillShare?: number | undefined
}

class Pool {
  readonly queue = new PQueue({ concurrency: 1 })
  credits: number
  lastRefillMs: number
  /** Since when the pool has been full at `max`; undefined after a spend, until it is again. */
  fullSinceMs: number | undefined

  /**
   * `max` is the paced pool (the exchange's less the held-back requests); `ceiling` is the
   * exchange's own. A pool that has stayed full at `max` as long as the held-back credits take to
   * refill at the paced rate was full at the exchange as well, whatever the transit times were:
   * it may then spend the exchange's whole burst.
   */
  constructor(
    readonly name: string,
    readonly cost: number,
    readonly max: number,
    readonly refillPerMs: number,
    nowMs: number,
    readonly ceiling: number = max,
  ) {
    this.credits = max
    this.lastRefillMs = nowMs
    this.fullSinceMs = nowMs
  }

  refill(nowMs: number): void {
    const elapsed = nowMs - this.lastRefillMs
    if (elapsed <= 0) return
    const credits = this.credits + elapsed * this.refillPerMs
    this.lastRefillMs = nowMs
    if (credits < this.max) {
      this.credits = credits
      this.fullSinceMs = undefined
      return
    }
    this.fullSinceMs ??= nowMs - (credits - this.max) / this.refillPerMs
    const heldBackMs = (this.ceiling - this.max) / this.refillPerMs
    this.credits = nowMs - this.fullSinceMs >= heldBackMs ? this.ceiling : Math.max(this.max, this.credits)
  }

  tryTake(nowMs: number): boolean {
    this.refill(nowMs)
    if (this.credits < this.cost) return false
    this.credits -= this.cost
    this.fullSinceMs = undefined
    return true
  }

  /** Time until the next request fits, after a failed `tryTake`. */
  waitMs(): number {
    return Math.max(1, Math.ceil((this.cost - this.credits) / this.refillPerMs))
  }
}

/**
 * Paces requests so they stay within Deribit's credit pools instead of earning a 10028 and a
 * closed connection. When credits are available and nobody waits, a request runs at once
 * (synchronously, without touching the queue); otherwise it waits in its pool's FIFO queue.
 */
export class CreditLimiter {
  readonly #pools: Pool[] = []
  readonly #byMethod = new Map<string, Pool>()
  readonly #fallback: Pool
  readonly #now: () => number
  readonly #timers: Timers
  readonly #waiting = new Set<AbortController>()

  constructor(options: CreditLimiterOptions = {}) {
    this.#now = options.now ?? monotonicNow
    this.#timers = options.timers ?? SYSTEM_TIMERS
    const merged: Record<string, Partial<CreditPoolConfig>> = { ...DEFAULT_CREDIT_POOLS }
    for (const [name, config] of Object.entries(options.pools ?? {})) merged[name] = { ...merged[name], ...config }
    const start = this.#now()
    const reserve = options.reserveRequests ?? 0
    const refillShare = options.refillShare ?? 1
    if (!(reserve >= 0) || !(refillShare > 0 && refillShare <= 1)) {
      throw new DeribitError('INVALID_ARGUMENT', 'reserveRequests must be >= 0 and refillShare in (0, 1]')
    }
    let fallback: Pool | undefined
    for (const [name, config] of Object.entries(merged)) {
      const { costPerRequest, maxCredits, refillPerSecond } = config
      if (!isPositive(costPerRequest) || !isPositive(maxCredits) || !isPositive(refillPerSecond)) {
        throw new DeribitError('INVALID_ARGUMENT', `Credit pool ${name} needs positive cost, maximum and refill rate`)
      }
      if (maxCredits < costPerRequest) {
        throw new DeribitError('INVALID_ARGUMENT', `Credit pool ${name} cannot hold even one request`)
      }
      // Headroom never shrinks a pool below one request.
      const held = Math.min(reserve * costPerRequest, maxCredits - costPerRequest)
      const pool = new Pool(
        name,
        costPerRequest,
        maxCredits - held,
        (refillPerSecond * refillShare) / 1000,
        start,
        maxCredits,
      )
      this.#pools.push(pool)
      if (name === 'default') fallback = pool
      for (const method of config.methods ?? []) this.#byMethod.set(method, pool)
    }
    if (fallback === undefined) throw new DeribitError('INVALID_ARGUMENT', 'Credit pools need a pool named default')
    this.#fallback = fallback
  }

  /** Requests waiting for credits, over all pools (including each pool's head). */
  get size(): number {
    let total = 0
    for (const pool of this.#pools) total += pool.queue.size + pool.queue.pending
    return total
  }

  /** Pools whose head request is currently waiting for a refill. */
  get pending(): number {
    let total = 0
    for (const pool of this.#pools) total += pool.queue.pending
    return total
  }

  /** Name of the pool `method` is charged to. */
  poolOf(method: string): string {
    return this.#poolFor(method).name
  }

  /** Credits currently available in the pool of `method` (after refill). */
  available(method: string): number {
    const pool = this.#poolFor(method)
    pool.refill(this.#now())
    return pool.credits
  }

  /**
   * Runs `fn` once the pool of `method` has the credits for it, charging them. FIFO per pool.
   * Rejects with {@link AbortError} if `signal` fires while waiting (nothing is charged), or with
   * the reason given to {@link clear}.
   */
  schedule<T>(method: string, fn: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.reject(new AbortError(`${method} was aborted`, { method }))
    const pool = this.#poolFor(method)
    if (this.#tryAcquire(pool)) return new Promise<T>((resolve) => resolve(fn()))
    return this.#enqueue(pool, method, fn, signal)
  }

  /**
   * Charges the credits for one call of `method` and returns true if it may run right now: the
   * pool has the credits and nobody is waiting ahead of it. Returns false, charging nothing,
   * otherwise (then use {@link schedule}). The allocation-free fast path for callers.
   */
  tryAcquire(method: string): boolean {
    return this.#tryAcquire(this.#poolFor(method))
  }

  #tryAcquire(pool: Pool): boolean {
    return pool.queue.size === 0 && pool.queue.pending === 0 && pool.tryTake(this.#now())
  }

  /**
   * Charges `method`'s cost now, even into debt, for a request that cannot wait its turn (the
   * answer to a `test_request` must go out at once). Later requests of that pool then wait as
   * they would at the exchange, which counts every request.
   */
  charge(method: string): void {
    const pool = this.#poolFor(method)
    pool.refill(this.#now())
    pool.credits -= pool.cost
    pool.fullSinceMs = undefined
  }

  /**
   * The exchange answered 10028 for `method`: its pool is empty whatever we counted (the web UI
   * and other connections share it), so wait for a full refill of one request from now.
   */
  exhausted(method: string): void {
    const pool = this.#poolFor(method)
    pool.credits = 0
    pool.fullSinceMs = undefined
    pool.lastRefillMs = this.#now()
  }

  /** Rejects every waiting request (e.g. on close). @default reason: ConnectionClosedError (NOT_CONNECTED) */
  clear(reason?: DeribitError): void {
    const error = reason ?? new ConnectionClosedError('Rate-limit queue cleared', { notSent: true })
    for (const controller of [...this.#waiting]) controller.abort(error)
  }

  #poolFor(method: string): Pool {
    return this.#byMethod.get(method) ?? this.#fallback
  }

  async #enqueue<T>(pool: Pool, method: string, fn: () => T | PromiseLike<T>, signal?: AbortSignal): Promise<T> {
    const controller = new AbortController()
    const onAbort = (): void => controller.abort(new AbortError(`${method} was aborted`, { method }))
    signal?.addEventListener('abort', onAbort, { once: true })
    this.#waiting.add(controller)
    try {
      await pool.queue.add(() => this.#waitForCredits(pool, controller.signal), { signal: controller.signal })
    } finally {
      this.#waiting.delete(controller)
      signal?.removeEventListener('abort', onAbort)
    }
    return fn()
  }

  #waitForCredits(pool: Pool, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let timer: unknown
      const onAbort = (): void => {
        this.#timers.clearTimeout(timer)
        reject(signal.reason)
      }
      const attempt = (): void => {
        timer = undefined
        if (signal.aborted) return
        if (pool.tryTake(this.#now())) {
          signal.removeEventListener('abort', onAbort)
          resolve()
          return
        }
        timer = this.#timers.setTimeout(attempt, pool.waitMs())
      }
      signal.addEventListener('abort', onAbort, { once: true })
      attempt()
    })
  }
}

function isPositive(value: number | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0
}
