/**
 * Options of the simulator's server side, with their defaults. Units are in the names.
 */

/** One leaky-bucket credit pool. */
export interface CreditPoolOptions {
  /** Credits one request spends. */
  cost: number
  /** Credits the pool holds when full (the burst). */
  max: number
  /** Credits restored per second. */
  refillPerSec: number
}

/** The pools requests are charged to; each account (or unauthenticated connection) gets its own. */
export interface RateLimitOptions {
  /** Every method without a pool of its own. */
  default: CreditPoolOptions
  /** `public/subscribe` and `private/subscribe`. */
  subscribe: CreditPoolOptions
  /** Matching-engine methods (buy, sell, edit, cancel…): tier 4, 5/s with a burst of 20. */
  matchingEngine: CreditPoolOptions
  /** `public/get_instruments`. */
  getInstruments: CreditPoolOptions
}

/** Default credit pools, from Deribit's published defaults. */
export const DEFAULT_RATE_LIMITS: RateLimitOptions = {
  default: { cost: 500, max: 50_000, refillPerSec: 10_000 },
  subscribe: { cost: 3_000, max: 30_000, refillPerSec: 10_000 },
  matchingEngine: { cost: 1, max: 20, refillPerSec: 5 },
  getInstruments: { cost: 10_000, max: 500_000, refillPerSec: 10_000 },
}

/** Default `expires_in` of access tokens, in seconds (15 minutes). */
export const DEFAULT_TOKEN_LIFETIME_SEC = 900
/** Default smallest `public/set_heartbeat` interval, in seconds: Deribit's minimum. */
export const DEFAULT_MIN_HEARTBEAT_INTERVAL_SEC = 10
/** Default number of named sessions per API key: Deribit's limit (a 17th evicts the oldest). */
export const DEFAULT_MAX_SESSIONS_PER_KEY = 16
/** Default interface to listen on: loopback only. */
export const DEFAULT_HOST = '127.0.0.1'
/** Default seed of the market generator. */
export const DEFAULT_SEED = 1

/** What happens to the source session after `exchange_token` / `fork_token`. */
export type SourceSessionAfterTransition = 'keep' | 'revoke'
/** What happens when a refresh token is used twice. */
export type RefreshTokenReuse = 'reject' | 'allow' | 'revoke-session'

/** Options of {@link startSimulator}. Every field is optional. */
export interface SimulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string
  /** Seed of the exchange's market generator. @default 1 */
  seed?: number
  /** `expires_in` of access tokens, in seconds. @default 900 */
  tokenLifetimeSec?: number
  /** Smallest interval `public/set_heartbeat` accepts, in seconds. @default 10 */
  minHeartbeatIntervalSec?: number
  /** Credit pools (merged over {@link DEFAULT_RATE_LIMITS}); `false` disables rate limiting. @default DEFAULT_RATE_LIMITS */
  rateLimits?: Partial<RateLimitOptions> | false
  /** Whether the source session stays valid after `exchange_token` / `fork_token`. @default 'keep' */
  sourceSessionAfterTransition?: SourceSessionAfterTransition
  /** What a second use of a refresh token does (`reject`: 13009, session untouched). @default 'reject' */
  refreshTokenReuse?: RefreshTokenReuse
  /** Named sessions an API key may hold; one more evicts the oldest. @default 16 */
  maxSessionsPerKey?: number
  /** Market events per second of the exchange's generator (passed through); 0 leaves only manual `market.tick()`. @default 10 */
  marketRateHz?: number
  /** Clock in ms since epoch, for tests. @default Date.now */
  now?: () => number
  /**
   * Access tokens as opaque strings (Deribit) or JWTs with `sub`, `jti` and `exp` (a gateway in
   * front of an exchange). @default 'opaque'
   */
  tokenFormat?: 'opaque' | 'jwt'
  /** Leave `expires_in` out of token answers, so clients must read `exp` from a JWT. @default false */
  omitExpiresIn?: boolean
}

/** Options with every default applied. */
export interface ResolvedOptions {
  port: number
  host: string
  seed: number
  tokenLifetimeSec: number
  minHeartbeatIntervalSec: number
  rateLimits: RateLimitOptions | false
  sourceSessionAfterTransition: SourceSessionAfterTransition
  refreshTokenReuse: RefreshTokenReuse
  maxSessionsPerKey: number
  marketRateHz: number | undefined
  now: (() => number) | undefined
  tokenFormat: 'opaque' | 'jwt'
  omitExpiresIn: boolean
}

/** Applies the defaults. */
export function resolveOptions(options: SimulatorOptions = {}): ResolvedOptions {
  return {
    port: options.port ?? 0,
    host: options.host ?? DEFAULT_HOST,
    seed: options.seed ?? DEFAULT_SEED,
    tokenLifetimeSec: options.tokenLifetimeSec ?? DEFAULT_TOKEN_LIFETIME_SEC,
    minHeartbeatIntervalSec: options.minHeartbeatIntervalSec ?? DEFAULT_MIN_HEARTBEAT_INTERVAL_SEC,
    rateLimits: options.rateLimits === false ? false : { ...DEFAULT_RATE_LIMITS, ...options.rateLimits },
    sourceSessionAfterTransition: options.sourceSessionAfterTransition ?? 'keep',
    refreshTokenReuse: options.refreshTokenReuse ?? 'reject',
    maxSessionsPerKey: options.maxSessionsPerKey ?? DEFAULT_MAX_SESSIONS_PER_KEY,
    marketRateHz: options.marketRateHz,
    now: options.now,
    tokenFormat: options.tokenFormat ?? 'opaque',
    omitExpiresIn: options.omitExpiresIn ?? false,
  }
}
