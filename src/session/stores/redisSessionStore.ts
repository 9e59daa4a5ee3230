import { randomUUID } from 'node:crypto'
import { DeribitError, RevokedError, StoreError } from '../../errors.js'
import { withChanges } from '../sessionContext.js'
import {
  matchesFilter,
  type SessionFilter,
  type SessionStore,
  type StoredSession,
  toStoredSession,
} from '../sessionStore.js'
import { RecordCipher } from './recordCipher.js'
import { RedisCommandRunner, unavailable } from './redisCommandRunner.js'
import { hashTagOf, openRedis, type RedisConnection } from './redisHandle.js'
import { RedisKeys } from './redisKeys.js'
import { decodeRedisRecord, encodeRedisRecord } from './redisRecord.js'
import { parseRevocationValue, RedisRevocationFeed } from './redisRevocationFeed.js'
import { DELETE_SCRIPT, GET_MANY_SCRIPT, REVOKE_SCRIPT, UPSERT_SCRIPT } from './redisScripts.js'
import {
  DEFAULT_REDIS_FAILOVER_WAIT_MS,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_REDIS_READY_TIMEOUT_MS,
  type RedisSessionStoreOptions,
} from './redisStoreOptions.js'
import { type RevocationEvent, RevocationListeners } from './revocationListeners.js'

export * from './redisStoreOptions.js'

/** How often `revoke` re-reads an index that changed under it before giving up. */
const REVOKE_ATTEMPTS = 5

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
  readonly #commands: RedisCommandRunner
  readonly #keys: RedisKeys
  readonly #cipher: RecordCipher | undefined
  readonly #now: () => number
  readonly #waitForReplicas: { replicas: number; timeoutMs: number } | undefined
  readonly #listeners: RevocationListeners
  readonly #feed: RedisRevocationFeed
  #feedStarted = false
  #closed = false

  constructor(options: RedisSessionStoreOptions) {
    const prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX
    this.#keys = new RedisKeys(prefix)
    this.#cipher = options.encryptionKey === undefined ? undefined : new RecordCipher(options.encryptionKey)
    this.#now = options.now ?? Date.now
    this.#waitForReplicas = options.waitForReplicas
    this.#listeners = new RevocationListeners(this.#now)
    const given: unknown = options.redis
    const isCluster = typeof given === 'object' && given !== null && 'isCluster' in given && given.isCluster === true
    if (isCluster && hashTagOf(prefix) === undefined) {
      // Checked before anything connects: keys in many slots would fail with CROSSSLOT later.
      throw new DeribitError(
        'INVALID_ARGUMENT',
        `On a Redis Cluster the keyPrefix needs a hash tag, e.g. '{${prefix.replace(/[{}]|:+$/g, '') || 'deribit-session'}}:'`,
      )
    }
    const opened = openRedis(given)
    this.#redis = opened.redis
    this.#ownsConnection = opened.owned
    this.#commands = new RedisCommandRunner({
      redis: this.#redis,
      highlyAvailable: opened.highlyAvailable,
      readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_REDIS_READY_TIMEOUT_MS,
      failoverWaitMs: options.failoverWaitMs ?? (opened.highlyAvailable ? DEFAULT_REDIS_FAILOVER_WAIT_MS : 0),
      prefix,
    })
    this.#feed = new RedisRevocationFeed({
      redis: this.#redis,
      channel: this.#keys.revocations,
      revokedKeyHead: this.#keys.revokedHead,
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
    return this.#commands.run(async () => {
      const [v, e, r] = await this.#redis.hmget(this.#keys.session(sessionId), 'v', 'e', 'r')
      if (v === null || v === undefined || r === null || r === undefined) return undefined
      if (this.#expired(e)) {
        await this.#deleteScript(sessionId, v)
        return undefined
      }
      return decodeRedisRecord(this.#cipher, sessionId, v, r)
    })
  }

  async getAll(filter?: SessionFilter): Promise<StoredSession[]> {
    return this.#commands.run(async () => {
      const ids = await this.#redis.smembers(this.#keys.sessions)
      if (ids.length === 0) return []
      const keys = ids.map((id) => this.#keys.session(id))
      const flat = (await this.#redis.eval(
        GET_MANY_SCRIPT,
        1 + keys.length,
        this.#keys.sessions,
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
        const session = await decodeRedisRecord(this.#cipher, id, v, r)
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
    const record = await encodeRedisRecord(this.#cipher, stored)
    // Names this call's write, so the script knows it when a failover makes us send it again.
    const writeId = randomUUID()
    return this.#commands.run(async () => {
      // Check what is there decrypts with our key before replacing it: a wrong key must fail
      // loudly, not overwrite the sessions of whoever holds the right one.
      const [v, e, r] = await this.#redis.hmget(this.#keys.session(id), 'v', 'e', 'r')
      if (typeof v === 'string' && typeof r === 'string' && !this.#expired(e))
        await decodeRedisRecord(this.#cipher, id, v, r)
      const now = this.#now()
      const refreshExpiresAt = stored.metadata.refreshExpiresAt
      const lifetimeEnd = refreshExpiresAt ?? stored.context.expiresAt
      const outcome = String(
        await this.#redis.eval(
          UPSERT_SCRIPT,
          3,
          this.#keys.session(id),
          this.#keys.sessions,
          this.#keys.revoked(name),
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
        await this.#replicated(this.#keys.session(id))
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
    return this.#commands.run(async () => (await this.#deleteScript(sessionId, '')) === 1)
  }

  async deleteAll(filter?: SessionFilter): Promise<number> {
    const matching = await this.getAll(filter)
    return this.#commands.run(async () => {
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
    await this.#commands.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const ids = await this.#redis.smembers(this.#keys.sessions)
        const removed = await this.#redis.eval(
          REVOKE_SCRIPT,
          2 + ids.length,
          this.#keys.sessions,
          this.#keys.revoked(sessionName),
          ...ids.map((id) => this.#keys.session(id)),
          `${event.revokedUntil},${at}`,
          String(ttlMs),
          sessionName,
          this.#keys.revocations,
          message,
          ...ids,
        )
        if (Number(removed) >= 0) break
        // Sessions were added or removed between reading the index and the script: read again.
        if (attempt >= REVOKE_ATTEMPTS) throw unavailable('the session index kept changing during revoke')
      }
      await this.#replicated(this.#keys.revoked(sessionName))
    })
    this.#listeners.deliver(event, true)
  }

  async isRevoked(sessionName: string): Promise<boolean> {
    return this.#commands.run(async () => {
      const value = await this.#redis.get(this.#keys.revoked(sessionName))
      const event = value === null ? undefined : parseRevocationValue(sessionName, value)
      return event !== undefined && event.revokedUntil > this.#now()
    })
  }

  onRevoked(listener: (sessionName: string) => void): () => void {
    this.#commands.assertOpen()
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
    this.#commands.close()
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
      this.#keys.session(id),
      this.#keys.sessions,
      id,
      String(this.#now()),
      version,
    )
    return Number(result)
  }
}
