import { type CreditLimiterOptions, type CreditPoolConfig, DEFAULT_CREDIT_POOLS } from '../rpc/creditLimiter.js'

/** Share of a pool's refill rate the client paces at. @default 0.9 */
export const PACING_SHARE_OF_REFILL = 0.9

/**
 * The credit pools the client paces with: the exchange's (the defaults, or what the user passed)
 * with headroom. Pacing at exactly the exchange's numbers is a race it loses now and then: a
 * request's transit time varies, so one sent just as its credits refilled can arrive before the
 * exchange's bucket has refilled (answers to `test_request` are charged too, but cannot wait).
 * That earns a 10028 and a closed connection. So one request of each burst is held
 * back and requests are paced at {@link PACING_SHARE_OF_REFILL} of the refill rate.
 */
export function withCreditHeadroom(options: Partial<CreditLimiterOptions>): Partial<CreditLimiterOptions> {
  const pools: Record<string, Partial<CreditPoolConfig>> = {}
  for (const name of new Set([...Object.keys(DEFAULT_CREDIT_POOLS), ...Object.keys(options.pools ?? {})])) {
    const pool: Partial<CreditPoolConfig> = { ...DEFAULT_CREDIT_POOLS[name], ...options.pools?.[name] }
    const { costPerRequest: cost, maxCredits: max, refillPerSecond: refill } = pool
    if (cost === undefined || max === undefined || refill === undefined) {
      pools[name] = pool // incomplete: let the limiter reject it as before
      continue
    }
    pools[name] = {
      ...pool,
      maxCredits: max >= 2 * cost ? max - cost : max,
      refillPerSecond: refill * PACING_SHARE_OF_REFILL,
    }
  }
  return { ...options, pools }
}
