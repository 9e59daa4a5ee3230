import type { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toStoredSession } from '../../../src/session/sessionStore.js'
import { RedisSessionStore } from '../../../src/session/stores/redisSessionStore.js'
import { type RedisClusterGroup, startRedisCluster } from '../../support/redisCluster.js'
import { registerRedisRequirement } from '../../support/redisServer.js'
import { describeSessionStoreContract, sampleContext } from '../storeContract.js'

const READY = registerRedisRequirement('redisCluster.test.ts', ['redis-cli'])

const live = () => ({ clientId: 'k', refreshExpiresAt: Date.now() + 60_000 })

describe.runIf(READY)('RedisSessionStore on a Redis Cluster (three masters, a replica each)', () => {
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

  describeSessionStoreContract(
    'RedisSessionStore on a Cluster',
    (env) => new RedisSessionStore({ redis: client, keyPrefix: `{${env.namespace}}:`, now: env.now }),
    { sharedHandles: true },
  )

  it('keeps every key of the default prefix in one slot, owned by one master', async () => {
    const store = new RedisSessionStore({ redis: client })
    try {
      const ctx = sampleContext({ sessionName: 'slotted' })
      await store.upsert(toStoredSession(ctx, live()), undefined)
      expect(await store.getAll({ sessionName: 'slotted' })).toHaveLength(1)
      await store.revoke('slotted', 60)
      const owners = new Set(
        await Promise.all(
          [
            '{deribit-session}:sessions',
            `{deribit-session}:session:${ctx.id}`,
            '{deribit-session}:revoked:slotted',
          ].map((key) => cluster.ownerOf(key)),
        ),
      )
      expect(owners.size).toBe(1)
      expect(await store.isRevoked('slotted')).toBe(true)
    } finally {
      await store.close()
    }
  })

  it('refuses a key prefix without a hash tag, and a Cluster with an offline queue, before touching Redis', async () => {
    expect(() => new RedisSessionStore({ redis: client, keyPrefix: 'mybot:' })).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining("'{mybot}:'") }),
    )
    const { Cluster } = await import('ioredis')
    const queued = new Cluster(cluster.nodes.slice(), { lazyConnect: true })
    expect(() => new RedisSessionStore({ redis: queued })).toThrow(
      expect.objectContaining({
        code: 'INVALID_ARGUMENT',
        message: expect.stringContaining('enableOfflineQueue: false'),
      }),
    )
    queued.disconnect()
  })
})
