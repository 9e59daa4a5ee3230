import { Cluster, Redis, type RedisOptions } from 'ioredis'
import { DeribitError } from '../../errors.js'

/** What a {@link RedisSessionStore} talks to: one server (possibly found through Sentinel) or a Cluster. */
export type RedisConnection = Redis | Cluster

/** The connection a store will use, and what kind of deployment it reaches. */
export interface OpenedRedis {
  readonly redis: RedisConnection
  /** The store made it (from options), so the store quits it on close. */
  readonly owned: boolean
  /** Sentinel or Cluster: a failover is expected now and then, and worth waiting for. */
  readonly highlyAvailable: boolean
}

/** A command without an answer after this long fails (its outcome is then unknown). */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2_000

const invalid = (message: string) => new DeribitError('INVALID_ARGUMENT', message)

/** A plain object (`{ host, port }`, `{ sentinels, name }`), not an instance of some class. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name
  return typeof name === 'string' && name !== '' ? `an instance of ${name}` : 'an object'
}

/**
 * Turns the `redis` option into a connection, or throws `INVALID_ARGUMENT` saying why not.
 * Never guesses: anything but an ioredis `Redis`, an ioredis `Cluster` or a plain options
 * object is refused rather than taken for options (which would quietly mean 127.0.0.1:6379).
 */
export function openRedis(given: unknown): OpenedRedis {
  if (given instanceof Cluster) {
    const options = given.options
    if (options.enableOfflineQueue !== false) {
      throw invalid(
        'RedisSessionStore needs an ioredis Cluster made with enableOfflineQueue: false (a write queued while the cluster is down must not be sent later)',
      )
    }
    if (options.keyPrefix || options.redisOptions?.keyPrefix)
      throw invalid("Use RedisSessionStore's keyPrefix, not ioredis's")
    return { redis: given, owned: false, highlyAvailable: true }
  }
  if (given instanceof Redis) {
    const options = given.options
    if (options.enableOfflineQueue !== false || options.autoResendUnfulfilledCommands !== false) {
      throw invalid(
        'RedisSessionStore needs an ioredis instance made with enableOfflineQueue: false and autoResendUnfulfilledCommands: false (or pass connection options instead)',
      )
    }
    if (options.keyPrefix) throw invalid("Use RedisSessionStore's keyPrefix, not ioredis's")
    return { redis: given, owned: false, highlyAvailable: hasSentinels(options) }
  }
  if (!isPlainObject(given)) {
    const looksLikeIoredis = /^(Redis|Cluster)$/.test(
      String((given as { constructor?: { name?: unknown } } | null)?.constructor?.name),
    )
    throw invalid(
      looksLikeIoredis
        ? 'RedisSessionStore got a Redis/Cluster from another copy of ioredis; pass one made with the ioredis this package uses, or connection options'
        : `RedisSessionStore's redis must be an ioredis Redis, an ioredis Cluster or connection options, not ${describeValue(given)}`,
    )
  }
  const options = given as RedisOptions
  if (options.keyPrefix) throw invalid("Use RedisSessionStore's keyPrefix, not ioredis's")
  const redis = new Redis({
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
    commandTimeout: DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
    ...options,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    // With no resend, a command caught by a drop must fail at the drop, not wait for a reconnect.
    maxRetriesPerRequest: 0,
    lazyConnect: false,
  })
  return { redis, owned: true, highlyAvailable: hasSentinels(options) }
}

function hasSentinels(options: RedisOptions): boolean {
  return Array.isArray(options.sentinels) && options.sentinels.length > 0
}

/**
 * The hash tag of `prefix` as Redis Cluster computes it (the text between the first `{` and
 * the next `}`), or undefined when it has none: then keys of one store land in many slots.
 */
export function hashTagOf(prefix: string): string | undefined {
  const open = prefix.indexOf('{')
  if (open < 0) return undefined
  const close = prefix.indexOf('}', open + 1)
  return close > open + 1 ? prefix.slice(open + 1, close) : undefined
}

/**
 * Every server the store's keys could live on, for commands that take no key (SCAN): the
 * masters of a Cluster, or the one server.
 */
export function keylessTargets(redis: RedisConnection): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis]
}

/**
 * Waits until `redis` is ready, at most `timeoutMs`; false when it was not. `failOnClose`: a
 * connection that drops while connecting counts as "not coming" (one server: fail fast),
 * instead of waiting out a failover.
 */
export function whenReady(redis: RedisConnection, timeoutMs: number, failOnClose: boolean): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true)
  if (redis.status === 'wait') redis.connect().catch(() => undefined)
  return new Promise<boolean>((resolve) => {
    const finish = (ready: boolean) => {
      clearTimeout(timer)
      redis.off('ready', onReady)
      redis.off('close', onClose)
      redis.off('end', onEnd)
      resolve(ready)
    }
    const onReady = () => finish(true)
    const onEnd = () => finish(false)
    const onClose = () => {
      if (failOnClose) finish(false)
    }
    const timer = setTimeout(() => finish(false), timeoutMs)
    redis.on('ready', onReady)
    redis.on('close', onClose)
    redis.on('end', onEnd)
  })
}
