import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/client.js'
import { RedisSessionStore } from '../../src/session/stores/redisSessionStore.js'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import { type ClientWorker, startClientWorker } from '../session/stores/fixtures/clientWorkerProcess.js'
import {
  REDIS_SERVER_AVAILABLE,
  type RedisServer,
  registerRedisRequirement,
  startRedisServer,
} from '../support/redisServer.js'
import { waitFor } from './harness.js'

registerRedisRequirement('test/client/multiProcess.test.ts')

describe.runIf(REDIS_SERVER_AVAILABLE)('two bot processes sharing one session through Redis', () => {
  let redis: RedisServer
  let sim: Simulator
  const workers: ClientWorker[] = []

  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()))
    await sim?.close()
  })
  afterAll(async () => {
    await redis?.stop('SIGTERM')
  })

  async function setup() {
    sim = await startSimulator({ seed: 5, marketRateHz: 0 })
    const account = sim.createAccount()
    // The session exists in the store before the workers start, as after a first deployment.
    const store = new RedisSessionStore({ redis: { host: '127.0.0.1', port: redis.port } })
    const first = new DeribitClient({
      url: sim.url,
      credentials: { clientId: account.clientId, clientSecret: account.clientSecret },
      sessionName: 'shared',
      store,
      heartbeatIntervalSec: 0,
    })
    await first.connect()
    await waitFor(() => (first.session?.lockVersion ?? 0) > 0, 'the first save')
    await first.close()
    await store.close()
    const config = {
      url: sim.url,
      clientId: account.clientId,
      clientSecret: account.clientSecret,
      redis: { kind: 'server' as const, port: redis.port },
    }
    return { account, config }
  }

  it('resumes the stored session and, refreshing at once, spends the refresh token exactly once', async () => {
    const { account, config } = await setup()
    const a = startClientWorker(config)
    const b = startClientWorker(config)
    workers.push(a, b)
    const [readyA, readyB] = await Promise.all([a.next('ready', 1), b.next('ready', 1)])
    // Both resumed the stored session instead of logging in again.
    expect(readyA.session).toBe(readyB.session)
    expect(sim.stats.authByGrant.client_signature).toBe(1)

    const refreshesBefore = sim.stats.authByGrant.refresh_token
    a.send('refresh')
    b.send('refresh')
    const [doneA, doneB] = await Promise.all([a.next('refreshed', 1), b.next('refreshed', 1)])
    // One refresh reached the exchange; the other process adopted tokens from the store instead.
    expect(sim.stats.authByGrant.refresh_token - refreshesBefore).toBe(1)
    // No refresh token was ever spent twice: the exchange refused no auth at all.
    expect(sim.stats.authFailures).toBe(0)
    expect(doneA.accountId).toBe(account.mainAccountId)
    expect(doneB.accountId).toBe(account.mainAccountId)
    // Whichever process adopted keeps going: its next refresh claims the newest version and succeeds.
    a.send('refresh')
    b.send('refresh')
    const [againA, againB] = await Promise.all([a.next('refreshed', 2, 15_000), b.next('refreshed', 2, 15_000)])
    expect(sim.stats.authFailures).toBe(0)
    expect(againA.accountId).toBe(account.mainAccountId)
    expect(againB.accountId).toBe(account.mainAccountId)
    expect(sim.stats.authByGrant.refresh_token - refreshesBefore).toBe(2)
  }, 40_000)

  it('a revocation closes every process using the session within one second, with no reconnect', async () => {
    const { config } = await setup()
    const a = startClientWorker(config)
    const b = startClientWorker(config)
    workers.push(a, b)
    await Promise.all([a.next('ready', 1), b.next('ready', 1)])
    const operator = new RedisSessionStore({ redis: { host: '127.0.0.1', port: redis.port } })
    const revokedAt = Date.now()
    await operator.revoke('shared', 60)
    const [gotA, gotB] = await Promise.all([a.next('revoked', 1, 2000), b.next('revoked', 1, 2000)])
    expect((gotA.at as number) - revokedAt).toBeLessThan(1000)
    expect((gotB.at as number) - revokedAt).toBeLessThan(1000)
    const opened = sim.stats.connectionsOpened
    await waitFor(() => sim.log.connections().every((c) => !c.open), 'every socket closed', 2000)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(sim.stats.connectionsOpened).toBe(opened)
    await operator.close()
  }, 40_000)
})
