import { DeribitError, StoreError } from '../../errors.js'
import { type RedisConnection, whenReady } from './redisHandle.js'

/** How often a call that met a failover tries again. */
const FAILOVER_RETRY_MS = 100

/**
 * Failures a failover causes for a moment: the command was not applied, or is safe to send
 * again. "Reached the max retries" is how ioredis (`maxRetriesPerRequest: 0`) fails a command
 * that was in flight when the master's connection dropped: it may have run, and every command
 * of the store is safe to send again (an upsert recognises its own write by its write id).
 */
const PASSING =
  /^(Connection is closed|Reached the max retries per request limit|READONLY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Cluster isn't ready|Stream isn't writeable|Command timed out|No subscriber)/

/** The Redis store's `STORE_UNAVAILABLE`, saying why. */
export const unavailable = (why: string): StoreError =>
  new StoreError('STORE_UNAVAILABLE', `Redis session store unavailable: ${why}`)

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Options of {@link RedisCommandRunner}. */
export interface RedisCommandRunnerOptions {
  redis: RedisConnection
  /** Sentinel or Cluster: a failover is waited out rather than failed at once. */
  highlyAvailable: boolean
  /** How long a call waits for a connection still being established. */
  readyTimeoutMs: number
  /** How long a call rides out a failover before failing. */
  failoverWaitMs: number
  /** The store's key prefix, named when a key turns out not to be the store's. */
  prefix: string
}

/**
 * How the Redis session store runs its commands: once the connection is usable, with ioredis's
 * failures turned into `StoreError`s that never carry a command's arguments, and a failover
 * (Sentinel or Cluster) ridden out for up to `failoverWaitMs`.
 */
export class RedisCommandRunner {
  readonly #o: RedisCommandRunnerOptions
  #closed = false

  constructor(options: RedisCommandRunnerOptions) {
    this.#o = options
  }

  /** Every later call fails with `STORE_UNAVAILABLE`. */
  close(): void {
    this.#closed = true
  }

  /** Throws `STORE_UNAVAILABLE` once the store is closed. */
  assertOpen(): void {
    if (this.#closed) throw new StoreError('STORE_UNAVAILABLE', 'The session store is closed')
  }

  /**
   * Runs `fn` once the connection is usable, turning client failures into StoreErrors. Within
   * `failoverWaitMs`, a failure a failover causes is waited out and `fn` runs again.
   */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    this.assertOpen()
    const deadline = Date.now() + this.#o.failoverWaitMs
    for (;;) {
      try {
        await this.#ready(deadline)
        return await fn()
      } catch (error) {
        if (error instanceof DeribitError) throw error
        // Never chain ioredis's error: it carries the command and its arguments (records, tokens).
        const message = error instanceof Error ? error.message.slice(0, 200) : 'unknown failure'
        if (message.startsWith('WRONGTYPE')) {
          throw new StoreError('STORE_CORRUPT', `A key under ${this.#o.prefix} is not a deribit-session entry`)
        }
        if (PASSING.test(message) && Date.now() + FAILOVER_RETRY_MS < deadline && !this.#closed) {
          await sleep(FAILOVER_RETRY_MS)
          continue
        }
        throw unavailable(message)
      }
    }
  }

  /**
   * Waits for a connection being established. One server: fails at once while it is known to
   * be away. Sentinel or Cluster: waits for the failover until `deadline`.
   */
  async #ready(deadline: number): Promise<void> {
    const { redis, highlyAvailable, readyTimeoutMs } = this.#o
    if (redis.status === 'ready') return
    const connecting = redis.status === 'wait' || redis.status === 'connecting' || redis.status === 'connect'
    const failoverLeft = deadline - Date.now()
    if (!connecting && (!highlyAvailable || failoverLeft <= 0)) throw unavailable(`connection ${redis.status}`)
    const waitMs = Math.max(connecting ? readyTimeoutMs : 0, failoverLeft)
    if (!(await whenReady(redis, waitMs, !highlyAvailable))) {
      throw unavailable(`not ready within ${waitMs} ms (connection ${redis.status})`)
    }
  }
}
