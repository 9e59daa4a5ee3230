import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/client.js'
import { RedisSessionStore } from '../../src/session/stores/redisSessionStore.js'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import {
  REDIS_SERVER_AVAILABLE,
  type RedisServer,
  registerRedisRequirement,
  startRedisServer,
} from '../support/redisServer.js'
import { waitFor } from './harness.js'

registerRedisRequirement('test/client/multiProcess.test.ts')

interface Worker {
  child: ChildProcess
  lines: Array<Record<string, unknown>>
  send(line: string): void
  next(step: string, timeoutMs?: number, nth?: number): Promise<Record<string, unknown>>
}

function startWorker(config: Record<string, unknown>): Worker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', new URL('./fixtures/refreshWorker.ts', import.meta.url).pathname, JSON.stringify(config)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const lines: Array<Record<string, unknown>> = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>)
    } catch {
      // not one of ours
    }
  })
  return {
    child,
    lines,
    send: (line) => child.stdin!.write(`${line}\n`),
    async next(step, timeoutMs = 15_000, nth = 1) {
      const matching = () => lines.filter((l) => l.step === step)
      await waitFor(() => matching().length >= nth, `worker step ${step} #${nth}`, timeoutMs)
      return matching()[nth - 1] as Record<string, unknown>
    },
  }
}

describe.runIf(REDIS_SERVER_AVAILABLE)('two bot processes sharing one session through Redis', () => {
  let redis: RedisServer
  let sim: Simulator
  const workers: Worker[] = []

  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterEach(async () => {
    for (const w of workers.splice(0)) w.child.kill('SIGKILL')
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
      redisPort: redis.port,
    }
    return { account, config }
  }

  it('resumes the stored session and, refreshing at once, spends the refresh token exactly once', async () => {
    const { account, config } = await setup()
    const a = startWorker(config)
    const b = startWorker(config)
    workers.push(a, b)
    const [readyA, readyB] = await Promise.all([a.next('ready'), b.next('ready')])
    // Both resumed the stored session instead of logging in again.
    expect(readyA.session).toBe(readyB.session)
    expect(sim.stats.authByGrant.client_signature).toBe(1)

    const refreshesBefore = sim.stats.authByGrant.refresh_token
    a.send('refresh')
    b.send('refresh')
    const [doneA, doneB] = await Promise.all([a.next('refreshed'), b.next('refreshed')])
    // One refresh reached the exchange; the other process adopted tokens from the store instead.
    expect(sim.stats.authByGrant.refresh_token - refreshesBefore).toBe(1)
    // No refresh token was ever spent twice: the exchange refused no auth at all.
    expect(sim.stats.authFailures).toBe(0)
    expect(doneA.accountId).toBe(account.mainAccountId)
    expect(doneB.accountId).toBe(account.mainAccountId)
    // Whichever process adopted keeps going: its next refresh claims the newest version and succeeds.
    a.send('refresh')
    b.send('refresh')
    const [againA, againB] = await Promise.all([a.next('refreshed', 15_000, 2), b.next('refreshed', 15_000, 2)])
    expect(sim.stats.authFailures).toBe(0)
    expect(againA.accountId).toBe(account.mainAccountId)
    expect(againB.accountId).toBe(account.mainAccountId)
    expect(sim.stats.authByGrant.refresh_token - refreshesBefore).toBe(2)
  }, 40_000)

  it('a revocation closes every process using the session within one second, with no reconnect', async () => {
    const { config } = await setup()
    const a = startWorker(config)
    const b = startWorker(config)
    workers.push(a, b)
    await Promise.all([a.next('ready'), b.next('ready')])
    const operator = new RedisSessionStore({ redis: { host: '127.0.0.1', port: redis.port } })
    const revokedAt = Date.now()
    await operator.revoke('shared', 60)
    const [gotA, gotB] = await Promise.all([a.next('revoked', 2000), b.next('revoked', 2000)])
    expect((gotA.at as number) - revokedAt).toBeLessThan(1000)
    expect((gotB.at as number) - revokedAt).toBeLessThan(1000)
    const opened = sim.stats.connectionsOpened
    await waitFor(() => sim.log.connections().every((c) => !c.open), 'every socket closed', 2000)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(sim.stats.connectionsOpened).toBe(opened)
    await operator.close()
  }, 40_000)
})
