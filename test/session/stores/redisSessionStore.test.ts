import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { toStoredSession } from '../../../src/session/sessionStore.js'
import {
  DEFAULT_REDIS_KEY_PREFIX,
  LEGACY_REDIS_KEY_PREFIX,
  RedisSessionStore,
} from '../../../src/session/stores/redisSessionStore.js'
import {
  REDIS_SERVER_AVAILABLE,
  type RedisServer,
  registerRedisRequirement,
  startRedisServer,
} from '../../support/redisServer.js'
import { describeSessionStoreContract, sampleContext } from '../storeContract.js'

registerRedisRequirement('redisSessionStore.test.ts')

const KEY = randomBytes(32)

/** Real-clock stores need a lifetime in the future (sample contexts date from 2023). */
const live = () => ({ clientId: 'k', refreshExpiresAt: Date.now() + 60_000 })

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
  return 'resolved'
}

describe.runIf(REDIS_SERVER_AVAILABLE)('RedisSessionStore', () => {
  let server: RedisServer
  let raw: Redis
  beforeAll(async () => {
    server = await startRedisServer()
    raw = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true })
    await raw.connect()
  })
  afterAll(async () => {
    await raw?.quit()
    await server?.stop()
  })

  describeSessionStoreContract(
    'RedisSessionStore',
    (env) =>
      new RedisSessionStore({
        redis: { host: '127.0.0.1', port: server.port },
        keyPrefix: `${env.namespace}:`,
        now: env.now,
      }),
    { sharedHandles: true },
  )

  describeSessionStoreContract(
    'RedisSessionStore with encryption',
    (env) =>
      new RedisSessionStore({
        redis: { host: '127.0.0.1', port: server.port },
        keyPrefix: `${env.namespace}:enc:`,
        now: env.now,
        encryptionKey: KEY,
      }),
    { sharedHandles: true },
  )

  describe('on a real server', () => {
    let n = 0
    const stores: RedisSessionStore[] = []
    const open = (prefix: string, extra: { encryptionKey?: Uint8Array | string; now?: () => number } = {}) => {
      const store = new RedisSessionStore({
        redis: { host: '127.0.0.1', port: server.port },
        keyPrefix: prefix,
        ...extra,
      })
      stores.push(store)
      return store
    }
    afterEach(async () => {
      await Promise.all(stores.splice(0).map((s) => s.close()))
    })

    it('keeps tokens out of Redis when encrypted, and expires the key with the refresh token', async () => {
      const prefix = `real-${n++}:`
      const store = open(prefix, { encryptionKey: KEY })
      const ctx = sampleContext()
      await store.upsert(toStoredSession(ctx, { clientId: 'k', refreshExpiresAt: Date.now() + 30_000 }), undefined)
      const hash = await raw.hgetall(`${prefix}session:${ctx.id}`)
      expect(hash.v).toBe('1')
      expect(JSON.stringify(hash)).not.toContain(ctx.refreshToken)
      expect(JSON.stringify(hash)).not.toContain(ctx.accessToken)
      const ttl = await raw.pttl(`${prefix}session:${ctx.id}`)
      expect(ttl).toBeGreaterThan(25_000)
      expect(ttl).toBeLessThanOrEqual(30_000)
    })

    it('refuses a wrong key, a missing key and a tampered record with STORE_KEY, and overwrites nothing', async () => {
      const prefix = `real-${n++}:`
      const store = open(prefix, { encryptionKey: KEY })
      const ctx = sampleContext()
      await store.upsert(toStoredSession(ctx, live()), undefined)
      const before = await raw.hgetall(`${prefix}session:${ctx.id}`)

      const wrong = open(prefix, { encryptionKey: randomBytes(32) })
      expect(await codeOf(wrong.get(ctx.id))).toBe('STORE_KEY')
      expect(await codeOf(wrong.getAll())).toBe('STORE_KEY')
      expect(await codeOf(wrong.upsert(toStoredSession(ctx, live()), 1))).toBe('STORE_KEY')
      expect(String(await wrong.get(ctx.id).catch((e: unknown) => e))).toMatch(
        /key is wrong or the record was tampered with/,
      )
      expect(await codeOf(open(prefix).get(ctx.id))).toBe('STORE_KEY')
      expect(await raw.hgetall(`${prefix}session:${ctx.id}`)).toEqual(before)

      const r = before.r as string
      const parts = r.split('.')
      const body = parts[3] as string
      parts[3] = (body[0] === 'A' ? 'B' : 'A') + body.slice(1)
      await raw.hset(`${prefix}session:${ctx.id}`, 'r', parts.join('.'))
      expect(await codeOf(store.get(ctx.id))).toBe('STORE_KEY')
      expect(await codeOf(store.upsert(toStoredSession(ctx, live()), 1))).toBe('STORE_KEY')
    })

    it('refuses a record moved under another id, and a foreign value, with STORE_CORRUPT', async () => {
      const prefix = `real-${n++}:`
      const store = open(prefix)
      const a = sampleContext()
      await store.upsert(toStoredSession(a, live()), undefined)
      const hash = await raw.hgetall(`${prefix}session:${a.id}`)
      await raw.hset(`${prefix}session:moved`, hash)
      await raw.sadd(`${prefix}sessions`, 'moved')
      expect(await codeOf(store.get('moved'))).toBe('STORE_CORRUPT')
      await raw.hset(`${prefix}session:moved`, 'r', 'hello')
      expect(await codeOf(store.get('moved'))).toBe('STORE_CORRUPT')
      expect(await codeOf(store.getAll())).toBe('STORE_CORRUPT')
      await raw.set(`${prefix}session:moved`, 'not a hash')
      expect(await codeOf(store.get('moved'))).toBe('STORE_CORRUPT')
    })

    it('accepts an ioredis instance only without offline queue and resend', async () => {
      const queued = new Redis({ port: server.port, lazyConnect: true })
      expect(() => new RedisSessionStore({ redis: queued })).toThrow(/enableOfflineQueue: false/)
      const strict = new Redis({
        port: server.port,
        enableOfflineQueue: false,
        autoResendUnfulfilledCommands: false,
        lazyConnect: true,
      })
      const store = new RedisSessionStore({ redis: strict, keyPrefix: `real-${n++}:` })
      const ctx = sampleContext()
      await store.upsert(toStoredSession(ctx, live()), undefined)
      expect((await store.get(ctx.id))?.context.lockVersion).toBe(1)
      const before = strict.listenerCount('error')
      await store.close()
      // The caller's connection stays the caller's, with none of the store's listeners left on it.
      expect(await strict.ping()).toBe('PONG')
      expect(strict.listenerCount('error')).toBe(before - 1)
      expect(strict.listenerCount('ready')).toBe(0)
      strict.disconnect()
      queued.disconnect()
    })

    it('refuses, with INVALID_ARGUMENT, a redis handle that is neither a Redis, a Cluster nor options', () => {
      class Redis {
        readonly host = '127.0.0.1'
      }
      const refused: unknown[] = ['redis://127.0.0.1:6379', null, 6379, new Map(), new (class NodeRedisClient {})()]
      for (const redis of refused) {
        expect(() => new RedisSessionStore({ redis: redis as never })).toThrow(
          expect.objectContaining({
            code: 'INVALID_ARGUMENT',
            message: expect.stringMatching(/must be an ioredis Redis, an ioredis Cluster or connection options/),
          }),
        )
      }
      // Same class name, another copy of ioredis: say so rather than take it for options.
      expect(() => new RedisSessionStore({ redis: new Redis() as never })).toThrow(/another copy of ioredis/)
    })

    it("moves data of the old layout to the new one with the README's command, and reads the old one when asked", async () => {
      const old = open(LEGACY_REDIS_KEY_PREFIX, { encryptionKey: KEY })
      const ctx = sampleContext({ sessionName: 'legacy' })
      await old.upsert(toStoredSession(ctx, live()), undefined)
      await old.revoke('gone', 600)
      // Existing data keeps working as it is when the old prefix is passed...
      expect((await open(LEGACY_REDIS_KEY_PREFIX, { encryptionKey: KEY }).get(ctx.id))?.context.refreshToken).toBe(
        ctx.refreshToken,
      )
      expect(DEFAULT_REDIS_KEY_PREFIX).toBe('{deribit-session}:')
      const ttlBefore = await raw.pttl(`${LEGACY_REDIS_KEY_PREFIX}session:${ctx.id}`)
      // ...and moves, TTLs included, with the migration command of the README.
      const moved = await promisify(execFile)('redis-cli', [
        '-p',
        String(server.port),
        'EVAL',
        "local n = 0 for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do redis.call('RENAME', k, ARGV[2] .. string.sub(k, #ARGV[1] + 1)) n = n + 1 end return n",
        '0',
        'deribit-session:',
        '{deribit-session}:',
      ])
      expect(moved.stdout.trim()).toBe('3')
      const current = open(DEFAULT_REDIS_KEY_PREFIX, { encryptionKey: KEY })
      expect((await current.get(ctx.id))?.context.refreshToken).toBe(ctx.refreshToken)
      expect(await current.getAll({ sessionName: 'legacy' })).toHaveLength(1)
      expect(await current.isRevoked('gone')).toBe(true)
      const ttlAfter = await raw.pttl(`{deribit-session}:session:${ctx.id}`)
      expect(ttlAfter).toBeGreaterThan(ttlBefore - 5_000)
      expect(await raw.exists(`${LEGACY_REDIS_KEY_PREFIX}sessions`)).toBe(0)
      await current.deleteAll()
    })

    it('fails with STORE_UNAVAILABLE when nothing listens, without hanging', async () => {
      const store = new RedisSessionStore({ redis: { host: '127.0.0.1', port: 1 } })
      stores.push(store)
      const started = Date.now()
      expect(await codeOf(store.get('x'))).toBe('STORE_UNAVAILABLE')
      expect(await codeOf(store.upsert(toStoredSession(sampleContext(), live()), undefined))).toBe('STORE_UNAVAILABLE')
      expect(Date.now() - started).toBeLessThan(2_500)
    })
  })
})
