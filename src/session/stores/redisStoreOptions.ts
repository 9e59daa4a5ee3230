import type { Cluster, Redis, RedisOptions } from 'ioredis'
import type { EncryptionKey } from './recordCipher.js'

export { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from './redisHandle.js'

/**
 * Prefix of every key (and the pub/sub channel) a `RedisSessionStore` uses. The hash tag
 * (`{…}`) puts every key of a store in one Cluster slot.
 */
export const DEFAULT_REDIS_KEY_PREFIX = '{deribit-session}:'
/**
 * The prefix of versions before Cluster support. Pass it as `keyPrefix` to keep using data
 * stored then on one server or through Sentinel, or move that data (README, "Redis layout").
 */
export const LEGACY_REDIS_KEY_PREFIX = 'deribit-session:'
/** How long a call waits for a connection that is still being established. */
export const DEFAULT_REDIS_READY_TIMEOUT_MS = 2_000
/** With Sentinel or a Cluster, how long a call rides out a failover before failing. */
export const DEFAULT_REDIS_FAILOVER_WAIT_MS = 5_000

/** Options of `RedisSessionStore`. */
export interface RedisSessionStoreOptions {
  /**
   * Connection options (the store then owns the connection and quits it on close; with
   * `sentinels` and `name` it finds the master through Sentinel), or an ioredis `Redis` or
   * `Cluster` the caller owns. A `Redis` must have `enableOfflineQueue: false` and
   * `autoResendUnfulfilledCommands: false`, a `Cluster` `enableOfflineQueue: false` (so a write
   * made while Redis was away is never sent later), and neither an ioredis `keyPrefix` (use
   * this store's `keyPrefix`). Own connections always get those settings and
   * `maxRetriesPerRequest: 0`. Anything else throws `INVALID_ARGUMENT`.
   */
  redis: Redis | Cluster | RedisOptions
  /**
   * Prefix of every key and of the pub/sub channel; stores with different prefixes share
   * nothing. On a Cluster it must hold a hash tag (`{…}`), so every key is in one slot.
   * @default DEFAULT_REDIS_KEY_PREFIX (`'{deribit-session}:'`)
   */
  keyPrefix?: string | undefined
  /** 32 bytes (or their base64): each record is stored as JWE (`dir` + `A256GCM`). @default no encryption */
  encryptionKey?: EncryptionKey | undefined
  /** Clock for expiry and revocation TTLs (ms since epoch). @default Date.now */
  now?: (() => number) | undefined
  /** How long a call waits for a connection still being established before failing with `STORE_UNAVAILABLE`. @default DEFAULT_REDIS_READY_TIMEOUT_MS (2000) */
  readyTimeoutMs?: number | undefined
  /**
   * How long a call rides out a failover (the master gone, the connection being re-pointed)
   * before failing with `STORE_UNAVAILABLE`. @default DEFAULT_REDIS_FAILOVER_WAIT_MS (5000)
   * with Sentinel or a Cluster, 0 with one server (a call fails at once while it is away)
   */
  failoverWaitMs?: number | undefined
  /**
   * After each write, wait up to `timeoutMs` until `replicas` replicas have it (Redis WAIT),
   * so a failover right after cannot lose it. A write not confirmed in time still stands (the
   * master has it): this narrows what a failover can lose, it cannot close it. @default none
   */
  waitForReplicas?: { replicas: number; timeoutMs: number } | undefined
}
