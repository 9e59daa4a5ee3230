import { randomUUID } from 'node:crypto'
import type { Cluster, Redis, RedisOptions } from 'ioredis'
import { DeribitError, RevokedError, StoreError } from '../../errors.js'
import { withChanges } from '../sessionContext.js'
import {
  matchesFilter,
  type SessionFilter,
  type SessionStore,
  type StoredSession,
  toStoredSession,
} from '../sessionStore.js'
import { decodeStoredSession, encodeStoredSession } from '../storedSessionCodec.js'
import { type EncryptionKey, RecordCipher } from './recordCipher.js'
import { hashTagOf, openRedis, type RedisConnection, whenReady } from './redisHandle.js'
import { parseRevocationValue, RedisRevocationFeed } from './redisRevocationFeed.js'
import { DELETE_SCRIPT, GET_MANY_SCRIPT, REVOKE_SCRIPT, UPSERT_SCRIPT } from './redisScripts.js'
import { type RevocationEvent, RevocationListeners } from './revocationListeners.js'

export { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from './redisHandle.js'

/**
 * Prefix of every key (and the pub/sub channel) a {@link RedisSessionStore} uses. The hash tag
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
/** How often a call that met a failover tries again. */
const FAILOVER_RETRY_MS = 100
/** How often `revoke` re-reads an index that changed under it before giving up. */
const REVOKE_ATTEMPTS = 5

/** Failures a failover causes for a moment: the command was not applied, or is safe to send again. */
const PASSING =
  /^(Connection is closed|READONLY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|Too many Cluster redirections|Cluster isn't ready|Stream isn't writeable|Command timed out|No subscriber)/

/** Options of {@link RedisSessionStore}. */
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

const unavailable = (why: string) => new StoreError('STORE_UNAVAILABLE', `Redis session store unavailable: ${why}`)
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * A {@link SessionStore} in Redis (ioredis), shared by every process and machine using the
 * same Redis and key prefix: one server, a master found through Sentinel, or a Cluster.
 *
 * - `upsert` is a compare-and-set on `lockVersion` in one Lua script, which also refuses a
 *   revoked name; each key expires natively when the refresh token dies (`refreshExpiresAt`,
 *   else the access token's `expiresAt`: a stale key must not outlive its tokens forever).
 * - No offline queue and no resend by ioredis: while one server is unreachable every call fails
 *   at once with `STORE_UNAVAILABLE`, and nothing sent then is replayed when it returns. With
 *   Sentinel or a Cluster a call rides out a failover for up to `failoverWaitMs` first, sending
 *   its command again once the new master answers; a compare-and-set that already landed is
 *   recognised as done, not taken for a conflict.
 * - `revoke` records the name with a TTL, deletes its entries and PUBLISHes, all in one script;
 *   `onRevoked` listens on a dedicated subscriber connection and, after every (re)subscribe,
 *   scans the revocation keys so one made while it was away is still heard.
 * - With `encryptionKey`, records are JWE; the version, session name and expiry stay in clear
 *   beside them (the scripts need them), tokens and the rest do not.
 *
 * @example
 * const store = new RedisSessionStore({
 *   redis: { host: '127.0.0.1', port: 6379 }, // or { sentinels, name }, or your own ioredis Redis / Cluster
 *   encryptionKey: process.env.SESSION_KEY,
 * })
 * await using client = new DeribitClient({ url, credentials, sessionName: 'bot', store })
 * await client.connect()
 * await store.revoke('bot', 3600) // from an operator process: every client on 'bot' stops
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: RedisConnection
  readonly #ownsConnection: boolean
  readonly #highlyAvailable: boolean
  readonly #prefix: string
  readonly #cipher: RecordCipher | undefined
  readonly #now: () => number
  readonly #readyTimeoutMs: number
  readonly #failoverWaitMs: number
  readonly #waitForReplicas: { replicas: number; timeoutMs: number } | undefined
  readonly #listeners: RevocationListeners
  readonly #feed: RedisRevocationFeed
  #feedStarted = false
  #closed = false

  constructor(options: RedisSessionStoreOptions) {
    this.#prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX
    this.#cipher = options.encryptionKey === undefined ? undefined : new RecordCipher(options.encryptionKey)
    this.#now = options.now ?? Date.now
    this.#readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_REDIS_READY_TIMEOUT_MS
    this.#waitForReplicas = options.waitForReplicas
    this.#listeners = new RevocationListeners(this.#now)
    const given: unknown = options.redis
    const isCluster = typeof given === 'object' && given !== null && 'isCluster' in given && given.isCluster === true
    if (isCluster && hashTagOf(this.#prefix) === undefined) {
      // Checked before anything connects: keys in many slots would fail with CROSSSLOT later.
      throw new DeribitError(
        'INVALID_ARGUMENT',
        `On a Redis Cluster the keyPrefix needs a hash tag, e.g. '{${this.#prefix.replace(/[{}]|:+$/g, '') || 'deribit-session'}}:'`,
      )
    }
    const opened = openRedis(given)
    this.#redis = opened.redis
    this.#ownsConnection = opened.owned
    this.#highlyAvailable = opened.highlyAvailable
    this.#failoverWaitMs = options.failoverWaitMs ?? (opened.highlyAvailable ? DEFAULT_REDIS_FAILOVER_WAIT_MS : 0)
    this.#feed = new RedisRevocationFeed({
      redis: this.#redis,
      channel: this.#key('revocations'),
      revokedKeyHead: this.#key('revoked:'),
      listeners: this.#listeners,
      now: this.#now,
    })
    // Connection trouble surfaces as STORE_UNAVAILABLE on calls; an 'error' event must not crash.
    this.#redis.on('error', this.#ignoreError)
    this.#redis.on('ready', this.#onMainReady)
  }

  readonly #ignoreError = (): void => undefined
  readonly #onMainReady = (): void => this.#feed.mainReady()

  async get(sessionId: string): Promise<StoredSession | undefined> {
    return this.#run(async () => {
      const [v, e, r] = await this.#redis.hmget(this.#sessionKey(sessionId), 'v', 'e', 'r')
      if (v === null || v === undefined || r === null || r === undefined) return undefined
      if (this.#expired(e)) {
        await this.#deleteScript(sessionId, v)
        return undefined
      }
      return this.#decode(sessionId, v, r)
    })
  }

  async getAll(filter?: SessionFilter): Promise<StoredSession[]> {
    return this.#run(async () => {
      const ids = await this.#redis.smembers(this.#key('sessions'))
      if (ids.length === 0) return []
      const keys = ids.map((id) => this.#sessionKey(id))
      const flat = (await this.#redis.eval(
        GET_MANY_SCRIPT,
        1 + keys.length,
        this.#key('sessions'),
        ...keys,
        ...ids,
      )) as string[]
      const out: StoredSession[] = []
      for (let i = 0; i + 3 < flat.length; i += 4) {
        const [id, v, e, r] = flat.slice(i, i + 4) as [string, string, string, string]
        if (this.#expired(e)) {
          await this.#deleteScript(id, v)
          continue
        }
        const session = await this.#decode(id, v, r)
        if (matchesFilter(session, filter)) out.push(session)
      }
      return out
    })
  }

  async upsert(session: StoredSession, expectedLockVersion: number | undefined): Promise<StoredSession> {
    // Re-derive the metadata from the context so a hand-built entry cannot disagree with it.
    const checked = toStoredSession(session.context, session.metadata)
    const name = checked.context.sessionName as string
    const id = checked.context.id
    const version = (expectedLockVersion ?? 0) + 1
    const stored = toStoredSession(withChanges(checked.context, { lockVersion: version }), checked.metadata)
    const json = JSON.stringify(encodeStoredSession(stored))
    const record = this.#cipher === undefined ? json : await this.#cipher.seal(json)
    // Names this call's write, so the script knows it when a failover makes us send it again.
    const writeId = randomUUID()
    return this.#run(async () => {
      // Check what is there decrypts with our key before replacing it: a wrong key must fail
      // loudly, not overwrite the sessions of whoever holds the right one.
      const [v, e, r] = await this.#redis.hmget(this.#sessionKey(id), 'v', 'e', 'r')
      if (typeof v === 'string' && typeof r === 'string' && !this.#expired(e)) await this.#decode(id, v, r)
      const now = this.#now()
      const refreshExpiresAt = stored.metadata.refreshExpiresAt
      const lifetimeEnd = refreshExpiresAt ?? stored.context.expiresAt
      const outcome = String(
        await this.#redis.eval(
          UPSERT_SCRIPT,
          3,
          this.#sessionKey(id),
          this.#key('sessions'),
          this.#revokedKey(name),
          expectedLockVersion === undefined ? '' : String(expectedLockVersion),
          String(version),
          String(now),
          name,
          refreshExpiresAt === undefined ? '' : String(refreshExpiresAt),
          record,
          // Relative to the caller's clock, like every other expiry judgement of the store.
          String(Math.max(1, Math.ceil(lifetimeEnd - now))),
          id,
          writeId,
        ),
      )
      if (outcome === 'OK') {
        await this.#replicated(this.#sessionKey(id))
        return stored
      }
      if (outcome === 'REVOKED') throw new RevokedError(`Session ${name} is revoked`)
      const found = outcome.startsWith('CONFLICT:') ? outcome.slice('CONFLICT:'.length) : '?'
      throw new StoreError(
        'STORE_CONFLICT',
        `Session ${id} was changed elsewhere (expected version ${expectedLockVersion ?? 'none'}, found ${found || 'none'})`,
      )
    })
  }

  async delete(sessionId: string): Promise<boolean> {
    return this.#run(async () => (await this.#deleteScript(sessionId, '')) === 1)
  }

  async deleteAll(filter?: SessionFilter): Promise<number> {
    const matching = await this.getAll(filter)
    return this.#run(async () => {
      let removed = 0
      // Only the version we matched on: an entry changed since then is judged again next time.
      for (const s of matching) removed += await this.#deleteScript(s.context.id, String(s.context.lockVersion))
      return removed
    })
  }

  async revoke(sessionName: string, ttlSec: number): Promise<void> {
    const at = this.#now()
    const ttlMs = Math.max(0, Math.round(ttlSec * 1000))
    const event: RevocationEvent = { sessionName, revokedAt: at, revokedUntil: at + ttlMs }
    const message = JSON.stringify({ name: sessionName, at, until: event.revokedUntil })
    await this.#run(async () => {
      for (let attempt = 1; ; attempt++) {
        const ids = await this.#redis.smembers(this.#key('sessions'))
        const removed = await this.#redis.eval(
          REVOKE_SCRIPT,
          2 + ids.length,
          this.#key('sessions'),
          this.#revokedKey(sessionName),
          ...ids.map((id) => this.#sessionKey(id)),
          `${event.revokedUntil},${at}`,
          String(ttlMs),
          sessionName,
          this.#key('revocations'),
          message,
          ...ids,
        )
        if (Number(removed) >= 0) break
        // Sessions were added or removed between reading the index and the script: read again.
        if (attempt >= REVOKE_ATTEMPTS) throw unavailable('the session index kept changing during revoke')
      }
      await this.#replicated(this.#revokedKey(sessionName))
    })
    this.#listeners.deliver(event, true)
  }

  async isRevoked(sessionName: string): Promise<boolean> {
    return this.#run(async () => {
      const value = await this.#redis.get(this.#revokedKey(sessionName))
      const event = value === null ? undefined : parseRevocationValue(sessionName, value)
      return event !== undefined && event.revokedUntil > this.#now()
    })
  }

  onRevoked(listener: (sessionName: string) => void): () => void {
    this.#assertOpen()
    const off = this.#listeners.add(listener)
    if (!this.#feedStarted) {
      this.#feedStarted = true
      this.#feed.start()
    }
    return off
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#listeners.clear()
    this.#feed.close()
    // A caller's connection outlives the store: leave nothing of ours attached to it.
    this.#redis.off('ready', this.#onMainReady)
    if (!this.#ownsConnection) this.#redis.off('error', this.#ignoreError)
    if (this.#ownsConnection) {
      try {
        await this.#redis.quit()
      } catch {
        // Already gone (Redis down): just stop reconnecting.
      }
      this.#redis.disconnect()
    }
  }

  #key(suffix: string): string {
    return `${this.#prefix}${suffix}`
  }

  #sessionKey(id: string): string {
    return this.#key(`session:${id}`)
  }

  #revokedKey(name: string): string {
    return this.#key(`revoked:${name}`)
  }

  #expired(refreshExpiresAt: string | null | undefined): boolean {
    if (refreshExpiresAt === null || refreshExpiresAt === undefined || refreshExpiresAt === '') return false
    return Number(refreshExpiresAt) <= this.#now()
  }

  /** With `waitForReplicas`, waits (bounded) until replicas have the write that touched `key`. */
  async #replicated(key: string): Promise<void> {
    const wanted = this.#waitForReplicas
    if (wanted === undefined || wanted.replicas <= 0) return
    // WAIT has no key; pipelined behind one, a Cluster sends it to the node that took the write.
    await this.#redis.pipeline().exists(key).wait(wanted.replicas, wanted.timeoutMs).exec()
  }

  async #deleteScript(id: string, version: string): Promise<number> {
    const result = await this.#redis.eval(
      DELETE_SCRIPT,
      2,
      this.#sessionKey(id),
      this.#key('sessions'),
      id,
      String(this.#now()),
      version,
    )
    return Number(result)
  }

  async #decode(id: string, version: string, raw: string): Promise<StoredSession> {
    const what = `stored session ${id}`
    const sealed = RecordCipher.isSealed(raw)
    let text = raw
    if (this.#cipher !== undefined) {
      if (!sealed) {
        throw new StoreError('STORE_KEY', `${what} is not encrypted but an encryptionKey was given`)
      }
      text = await this.#cipher.open(raw, what)
    } else if (sealed) {
      throw new StoreError('STORE_KEY', `${what} is encrypted; give the store its encryptionKey`)
    }
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw new StoreError('STORE_CORRUPT', `${what} is not a deribit-session record`)
    }
    const session = decodeStoredSession(json)
    if (session.context.id !== id || String(session.context.lockVersion) !== version) {
      throw new StoreError('STORE_CORRUPT', `${what} does not match the key it is stored under`)
    }
    return session
  }

  /**
   * Runs `fn` once the connection is usable, turning client failures into StoreErrors. Within
   * `failoverWaitMs`, a failure a failover causes is waited out and `fn` runs again.
   */
  async #run<T>(fn: () => Promise<T>): Promise<T> {
    this.#assertOpen()
    const deadline = Date.now() + this.#failoverWaitMs
    for (;;) {
      try {
        await this.#ready(deadline)
        return await fn()
      } catch (error) {
        if (error instanceof DeribitError) throw error
        // Never chain ioredis's error: it carries the command and its arguments (records, tokens).
        const message = error instanceof Error ? error.message.slice(0, 200) : 'unknown failure'
        if (message.startsWith('WRONGTYPE')) {
          throw new StoreError('STORE_CORRUPT', `A key under ${this.#prefix} is not a deribit-session entry`)
        }
        if (PASSING.test(message) && Date.now() + FAILOVER_RETRY_MS < deadline && !this.#closed) {
          await sleep(FAILOVER_RETRY_MS)
          continue
        }
        throw unavailable(message)
      }
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('STORE_UNAVAILABLE', 'The session store is closed')
  }

  /**
   * Waits for a connection being established. One server: fails at once while it is known to
   * be away. Sentinel or Cluster: waits for the failover until `deadline`.
   */
  async #ready(deadline: number): Promise<void> {
    const redis = this.#redis
    if (redis.status === 'ready') return
    const connecting = redis.status === 'wait' || redis.status === 'connecting' || redis.status === 'connect'
    const failoverLeft = deadline - Date.now()
    if (!connecting && (!this.#highlyAvailable || failoverLeft <= 0)) throw unavailable(`connection ${redis.status}`)
    const waitMs = Math.max(connecting ? this.#readyTimeoutMs : 0, failoverLeft)
    if (!(await whenReady(redis, waitMs, !this.#highlyAvailable))) {
      throw unavailable(`not ready within ${waitMs} ms (connection ${redis.status})`)
    }
  }
}
