import type { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, it } from 'vitest'
import { DEFAULT_REDIS_KEY_PREFIX, RedisSessionStore } from '../../../src/session/stores/redisSessionStore.js'
import { type RedisClusterGroup, startRedisCluster } from '../../support/redisCluster.js'
import { registerRedisRequirement } from '../../support/redisServer.js'
import { runFailoverScenario } from './fixtures/failoverScenario.js'

const READY = registerRedisRequirement('redisClusterFailover.test.ts', ['redis-cli'])
const SESSIONS_KEY = `${DEFAULT_REDIS_KEY_PREFIX}sessions`

describe.runIf(READY)('two bot processes on one session on a Cluster, the slot-owning master killed mid-run', () => {
  let cluster: RedisClusterGroup
  let client: Cluster
  beforeAll(async () => {
    cluster = await startRedisCluster()
    client = cluster.client()
  }, 60_000)
  afterAll(async () => {
    client?.disconnect()
    await cluster?.stop()
  })

  it('loses no session, spends each refresh token once, carries on, and hears a revocation within 1 s', async () => {
    await runFailoverScenario({
      redis: { kind: 'cluster', nodes: cluster.nodes.slice() },
      store: () =>
        new RedisSessionStore({
          redis: client,
          waitForReplicas: { replicas: 1, timeoutMs: 1_000 },
          failoverWaitMs: 15_000,
        }),
      killOwner: async () => {
        const owner = await cluster.ownerOf(SESSIONS_KEY)
        await cluster.kill(owner)
        return owner
      },
      settled: async (killed) => {
        await cluster.waitForNewOwner(SESSIONS_KEY, killed)
      },
    })
  }, 120_000)
})
