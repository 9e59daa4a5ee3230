import { afterAll, beforeAll, describe, it } from 'vitest'
import { RedisSessionStore } from '../../../src/session/stores/redisSessionStore.js'
import { type RedisSentinelGroup, startRedisSentinel } from '../../support/redisSentinel.js'
import { registerRedisRequirement } from '../../support/redisServer.js'
import { runFailoverScenario } from './fixtures/failoverScenario.js'

const READY = registerRedisRequirement('redisSentinelFailover.test.ts', ['redis-sentinel'])

describe.runIf(READY)('two bot processes on one session through Sentinel, the master killed mid-run', () => {
  let group: RedisSentinelGroup
  beforeAll(async () => {
    group = await startRedisSentinel()
  }, 60_000)
  afterAll(async () => {
    await group?.stop()
  })

  it('loses no session, spends each refresh token once, carries on, and hears a revocation within 1 s', async () => {
    await runFailoverScenario({
      redis: { kind: 'sentinel', sentinels: group.sentinels.slice(), name: group.name },
      store: () =>
        new RedisSessionStore({
          redis: { sentinels: group.sentinels.slice(), name: group.name },
          waitForReplicas: { replicas: 1, timeoutMs: 1_000 },
          failoverWaitMs: 15_000,
        }),
      killOwner: () => group.killMaster(),
      settled: async (killed) => {
        await group.waitForNewMaster(killed)
      },
    })
  }, 120_000)
})
