import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toStoredSession } from '../../../src/session/sessionStore.js'
import { RedisSessionStore } from '../../../src/session/stores/redisSessionStore.js'
import { type RedisSentinelGroup, startRedisSentinel } from '../../support/redisSentinel.js'
import { registerRedisRequirement } from '../../support/redisServer.js'
import { describeSessionStoreContract, sampleContext } from '../storeContract.js'

const READY = registerRedisRequirement('redisSentinel.test.ts', ['redis-sentinel'])

describe.runIf(READY)('RedisSessionStore through Sentinel (a master, a replica, three sentinels)', () => {
  let group: RedisSentinelGroup
  beforeAll(async () => {
    group = await startRedisSentinel()
  }, 60_000)
  afterAll(async () => {
    await group?.stop()
  })

  describeSessionStoreContract(
    'RedisSessionStore through Sentinel',
    (env) =>
      new RedisSessionStore({
        redis: { sentinels: group.sentinels.slice(), name: group.name },
        keyPrefix: `{${env.namespace}}:`,
        now: env.now,
      }),
    { sharedHandles: true },
  )

  it('works through an ioredis client of your own that uses Sentinel, and leaves it usable after close', async () => {
    const mine = new Redis({
      sentinels: group.sentinels.slice(),
      name: group.name,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      lazyConnect: true,
    })
    await mine.connect()
    const store = new RedisSessionStore({ redis: mine, keyPrefix: '{own-client}:' })
    const other = new RedisSessionStore({
      redis: { sentinels: group.sentinels.slice(), name: group.name },
      keyPrefix: '{own-client}:',
    })
    try {
      const ctx = sampleContext({ sessionName: 'own' })
      await store.upsert(toStoredSession(ctx, { clientId: 'k', refreshExpiresAt: Date.now() + 60_000 }), undefined)
      expect((await other.get(ctx.id))?.context.refreshToken).toBe(ctx.refreshToken)
      const heard: string[] = []
      store.onRevoked((name) => heard.push(name))
      await other.revoke('own', 60)
      await expect.poll(() => heard, { timeout: 2_000 }).toEqual(['own'])
      await store.close()
      expect(await mine.ping()).toBe('PONG')
    } finally {
      await other.close()
      mine.disconnect()
    }
  })
})
