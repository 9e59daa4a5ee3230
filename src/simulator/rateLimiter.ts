import { isMatchingEngineMethod } from '../protocol/matchingEngine.js'
import type { CreditPoolOptions, RateLimitOptions } from './options.js'

/** Names of the credit pools. */
export type PoolName = keyof RateLimitOptions

/** The pool a method is charged to. */
export function poolOf(method: string): PoolName {
  if (method === 'public/subscribe' || method === 'private/subscribe') return 'subscribe'
  if (method === 'public/get_instruments') return 'getInstruments'
  if (isMatchingEngineMethod(method)) return 'matchingEngine'
  return 'default'
}

interface Bucket {
  credits: number
  at: number
}

/**
 * Leaky-bucket credit pools per payer: an account id for authenticated calls, a connection
 * for unauthenticated ones. Buckets start full and refill continuously up to their maximum.
 */
export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>()

  constructor(
    private readonly limits: RateLimitOptions,
    private readonly nowMs: () => number,
  ) {}

  /** Charges one call of `method` to `payer`; false when the pool cannot pay for it. */
  charge(payer: string, method: string): boolean {
    const pool = poolOf(method)
    const opts: CreditPoolOptions = this.limits[pool]
    const key = `${payer}|${pool}`
    const now = this.nowMs()
    let bucket = this.#buckets.get(key)
    if (bucket === undefined) {
      bucket = { credits: opts.max, at: now }
      this.#buckets.set(key, bucket)
    }
    bucket.credits = Math.min(opts.max, bucket.credits + ((now - bucket.at) / 1000) * opts.refillPerSec)
    bucket.at = now
    if (bucket.credits < opts.cost) return false
    bucket.credits -= opts.cost
    return true
  }

  /** Forgets a payer's buckets (a closed unauthenticated connection). */
  forget(payer: string): void {
    for (const key of this.#buckets.keys()) if (key.startsWith(`${payer}|`)) this.#buckets.delete(key)
  }
}
