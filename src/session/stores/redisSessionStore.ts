import { Redis, type RedisOptions } from 'ioredis'
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
import { DELETE_SCRIPT, GET_ALL_SCRIPT, REVOKE_SCRIPT, UPSERT_SCRIPT } from './redisScripts.js'
import { type RevocationEvent, RevocationListeners } from './revocationListeners.js'

/** Prefix of every key (and the pub/sub channel) a {@link RedisSessionStore} uses. */
export const DEFAULT_REDIS_KEY_PREFIX = 'deribit-session:'
/** How long a call waits for a connection that is still being established. */
export const DEFAULT_REDIS_READY_TIMEOUT_MS = 2_000
/** A command without an answer after this long fails (its outcome is then unknown). */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 2_000

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /**
   * Connection options (the store then owns the connection and quits it on close), or an
   * ioredis instance the caller owns. An instance must have `enableOfflineQueue: false` and
   * `autoResendUnfulfilledCommands: false` (so a write made while Redis was away is never
   * replayed later) and no ioredis `keyPrefix` (use this store's `keyPrefix`).
   * Own connections always get those settings and `maxRetriesPerRequest: 0`.
   */
  redis: Redis | RedisOptions
  /** Prefix of every key and of the pub/sub channel; stores with different prefixes share nothing. @default DEFAULT_REDIS_KEY_PREFIX (`'deribit-session:'`) */
  keyPrefix?: string | undefined
  /** 32 bytes (or their base64): each record is stored as JWE (`dir` + `A256GCM`). @default no encryption */
  encryptionKey?: EncryptionKey | undefined
  /** Clock for expiry and revocation TTLs (ms since epoch). @default Date.now */
  now?: (() => number) | undefined
  /** How long a call waits for a connection still being established before failing with `STORE_UNAVAILABLE`. @default DEFAULT_REDIS_READY_TIMEOUT_MS (2000) */
  readyTimeoutMs?: number | undefined
}

const unavailable = (why: string) => new StoreError('STORE_UNAVAILABLE', `Redis session store unavailable: ${why}`)

/** Glob-escapes `text` for SCAN MATCH. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&')

function parseRevocationValue(name: string, value: string): RevocationEvent | undefined {
  const [until, at] = value.split(',').map(Number)
  if (until === undefined || at === undefined || !Number.isFinite(until) || !Number.isFinite(at)) return undefined
  return { sessionName: name, revokedAt: at, revokedUntil: until }
}

/**
 * A {@link SessionStore} in Redis (ioredis), shared by every process and machine using the
 * same Redis and key prefix.
 *
 * - `upsert` is a compare-and-set on `lockVersion` in one Lua script, which also refuses a
 *   revoked name; each key expires natively when the refresh token dies (`refreshExpiresAt`,
 *   else the access token's `expiresAt`: a stale key must not outlive its tokens forever).
 * - No offline queue and no resend of unanswered commands: while Redis is unreachable every
 *   call fails at once with `STORE_UNAVAILABLE`, and nothing sent then is replayed when it
 *   returns. A write that failed that way may or may not have been applied; read before retrying.
 * - `revoke` records the name with a TTL, deletes its entries and PUBLISHes, all in one script;
 *   `onRevoked` listens on a dedicated subscriber connection and, after every (re)subscribe,
 *   scans the revocation keys so one made while it was away is still heard.
 * - With `encryptionKey`, records are JWE; the version, session name and expiry stay in clear
 *   beside them (the scripts need them), tokens and the rest do not.
 *
 * @example
 * const store = new RedisSessionStore({
 *   redis: { host: '127.0.0.1', port: 6379 }, // or your own ioredis instance (see `redis`)
 *   keyPrefix: 'mybot:',
 *   encryptionKey: process.env.SESSION_KEY,
 * })
 * await using client = new DeribitClient({ url, credentials, sessionName: 'bot', store })
 * await client.connect()
 * await store.revoke('bot', 3600) // from an operator process: every client on 'bot' stops
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis
  readonly #ownsConnection: boolean
  readonly #prefix: string
  readonly #cipher: RecordCipher | undefined
  readonly #now: () => number
  readonly #readyTimeoutMs: number
  readonly #listeners: RevocationListeners
  #subscriber: Redis | undefined
  /** A catch-up scan is owed for when the main connection is back. */
  #catchUpOwed = false
  #closed = false

  constructor(options: RedisSessionStoreOptions) {
    this.#prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX
    this.#cipher = options.encryptionKey === undefined ? undefined : new RecordCipher(options.encryptionKey)
    this.#now = options.now ?? Date.now
    this.#readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_REDIS_READY_TIMEOUT_MS
    this.#listeners = new RevocationListeners(this.#now)
    if (options.redis instanceof Redis) {
      const given = options.redis.options
      if (given.enableOfflineQueue !== false || given.autoResendUnfulfilledCommands !== false) {
        throw new DeribitError(
          'INVALID_ARGUMENT',
          'RedisSessionStore needs an ioredis instance made with enableOfflineQueue: false and autoResendUnfulfilledCommands: false (or pass connection options instead)',
        )
      }
      if (given.keyPrefix) {
        throw new DeribitError('INVALID_ARGUMENT', "Use RedisSessionStore's keyPrefix, not ioredis's")
      }
      this.#redis = options.redis
      this.#ownsConnection = false
    } else {
      if (options.redis.keyPrefix) {
        throw new DeribitError('INVALID_ARGUMENT', "Use RedisSessionStore's keyPrefix, not ioredis's")
      }
      this.#redis = new Redis({
        retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
        commandTimeout: DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
        ...options.redis,
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
        // With no resend, a command caught by a drop must fail at the drop, not wait for a reconnect.
        maxRetriesPerRequest: 0,
        lazyConnect: false,
      })
      this.#ownsConnection = true
    }
    // Connection trouble surfaces as STORE_UNAVAILABLE on calls; an 'error' event must not crash.
    this.#redis.on('error', this.#ignoreError)
    this.#redis.on('ready', this.#onMainReady)
  }

  readonly #ignoreError = (): void => undefined
  readonly #onMainReady = (): void => {
    if (this.#catchUpOwed) void this.#catchUp()
  }

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
      const flat = (await this.#redis.eval(GET_ALL_SCRIPT, 1, this.#key('sessions'), this.#key('session:'))) as string[]
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
    return this.#run(async () => {
      // Re-derive the metadata from the context so a hand-built entry cannot disagree with it.
      const checked = toStoredSession(session.context, session.metadata)
      const name = checked.context.sessionName as string
      const id = checked.context.id
      // Check what is there decrypts with our key before replacing it: a wrong key must fail
      // loudly, not overwrite the sessions of whoever holds the right one.
      const [v, e, r] = await this.#redis.hmget(this.#sessionKey(id), 'v', 'e', 'r')
      if (typeof v === 'string' && typeof r === 'string' && !this.#expired(e)) await this.#decode(id, v, r)
      const version = (expectedLockVersion ?? 0) + 1
      const stored = toStoredSession(withChanges(checked.context, { lockVersion: version }), checked.metadata)
      const record = JSON.stringify(encodeStoredSession(stored))
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
          this.#cipher === undefined ? record : await this.#cipher.seal(record),
          // Relative to the caller's clock, like every other expiry judgement of the store.
          String(Math.max(1, Math.ceil(lifetimeEnd - now))),
          id,
        ),
      )
      if (outcome === 'OK') return stored
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
    await this.#run(() =>
      this.#redis.eval(
        REVOKE_SCRIPT,
        2,
        this.#revokedKey(sessionName),
        this.#key('sessions'),
        `${event.revokedUntil},${at}`,
        String(ttlMs),
        sessionName,
        this.#key('session:'),
        this.#key('revocations'),
        JSON.stringify({ name: sessionName, at, until: event.revokedUntil }),
      ),
    )
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
    this.#ensureSubscriber()
    return off
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#listeners.clear()
    this.#subscriber?.disconnect()
    this.#subscriber = undefined
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

  /** Runs `fn` once the connection is usable, turning client failures into StoreErrors. */
  async #run<T>(fn: () => Promise<T>): Promise<T> {
    this.#assertOpen()
    try {
      await this.#ready()
      return await fn()
    } catch (error) {
      if (error instanceof DeribitError) throw error
      // Never chain ioredis's error: it carries the command and its arguments (records, tokens).
      const message = error instanceof Error ? error.message.slice(0, 200) : 'unknown failure'
      if (message.startsWith('WRONGTYPE')) {
        throw new StoreError('STORE_CORRUPT', `A key under ${this.#prefix} is not a deribit-session entry`)
      }
      throw unavailable(message)
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('STORE_UNAVAILABLE', 'The session store is closed')
  }

  /** Waits for a connection being established; fails at once while Redis is known to be away. */
  async #ready(): Promise<void> {
    const redis = this.#redis
    if (redis.status === 'ready') return
    if (redis.status === 'wait') redis.connect().catch(() => undefined)
    else if (redis.status !== 'connecting' && redis.status !== 'connect')
      throw unavailable(`connection ${redis.status}`)
    await new Promise<void>((resolve, reject) => {
      const finish = (error?: StoreError) => {
        clearTimeout(timer)
        redis.off('ready', onReady)
        redis.off('close', onClose)
        redis.off('end', onClose)
        if (error === undefined) resolve()
        else reject(error)
      }
      const onReady = () => finish()
      const onClose = () => finish(unavailable('could not connect'))
      const timer = setTimeout(
        () => finish(unavailable(`not ready after ${this.#readyTimeoutMs} ms`)),
        this.#readyTimeoutMs,
      )
      redis.on('ready', onReady)
      redis.on('close', onClose)
      redis.on('end', onClose)
    })
  }

  #ensureSubscriber(): void {
    if (this.#subscriber !== undefined) return
    const channel = this.#key('revocations')
    const subscriber = this.#redis.duplicate({
      // Subscribing is idempotent, so a queued SUBSCRIBE is safe; we resubscribe ourselves on
      // every 'ready' so the catch-up scan can run after the subscription is in place.
      enableOfflineQueue: true,
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      lazyConnect: false,
    })
    this.#subscriber = subscriber
    subscriber.on('error', () => undefined)
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel) this.#onMessage(message)
    })
    subscriber.on('ready', () => {
      subscriber.subscribe(channel).then(
        () => this.#catchUp(),
        () => undefined,
      )
    })
  }

  #onMessage(message: string): void {
    try {
      const value: unknown = JSON.parse(message)
      if (typeof value !== 'object' || value === null) return
      const { name, at, until } = value as Record<string, unknown>
      if (typeof name !== 'string' || typeof at !== 'number' || typeof until !== 'number') return
      this.#listeners.deliver({ sessionName: name, revokedAt: at, revokedUntil: until }, true)
    } catch {
      // Someone else's message on our channel: not a revocation.
    }
  }

  /** Delivers revocations already recorded (made while the subscriber was connecting or away). */
  async #catchUp(): Promise<void> {
    if (this.#closed) return
    // The scan runs on the main connection; after a Redis restart it may come back after the
    // subscriber, so the scan is owed until then.
    this.#catchUpOwed = true
    if (this.#redis.status !== 'ready') return
    this.#catchUpOwed = false
    try {
      const head = this.#key('revoked:')
      let cursor = '0'
      do {
        const [next, keys] = await this.#redis.scan(cursor, 'MATCH', `${globEscape(head)}*`, 'COUNT', 200)
        cursor = next
        if (keys.length === 0) continue
        const values = await this.#redis.mget(...keys)
        const now = this.#now()
        keys.forEach((key, i) => {
          const value = values[i]
          const event = typeof value === 'string' ? parseRevocationValue(key.slice(head.length), value) : undefined
          if (event !== undefined && event.revokedUntil > now) this.#listeners.deliver(event, false)
        })
      } while (cursor !== '0')
    } catch {
      // Redis went away again: scan when the main connection is back.
      this.#catchUpOwed = true
    }
  }
}
