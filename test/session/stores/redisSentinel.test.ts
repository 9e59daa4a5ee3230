import { afterAll, beforeAll, describe } from 'vitest'
import { RedisSessionStore } from '../../../src/session/stores/redisSessionStore.js'
import { type RedisSentinelGroup, startRedisSentinel } from '../../support/redisSentinel.js'
import { registerRedisRequirement } from '../../support/redisServer.js'
import { describeSessionStoreContract } from '../storeContract.js'

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
})
