/**
 * Named reliability scenarios, session half (issue 7): token expiry and rotation, lost refresh
 * answers, session stores under conflict and crash, the 16-session limit, connection-scoped
 * tokens and clock skew. Each ends with the shared oracles (`rig.verify()`).
 */
import * as fs from 'node:fs'
import { mkdtempSync, rmSync } from 'node:fs'
import { syncBuiltinESMExports } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/client.js'
import { MemorySessionStore } from '../../src/session/memorySessionStore.js'
import type { SessionStore } from '../../src/session/sessionStore.js'
import { FileSessionStore } from '../../src/session/stores/fileSessionStore.js'
import { RedisSessionStore } from '../../src/session/stores/redisSessionStore.js'
import type { RefreshTokenReuse } from '../../src/simulator/index.js'
import { waitFor } from '../client/harness.js'
import type { WsMessage } from '../support/faultProxy.js'
import {
  REDIS_SERVER_AVAILABLE,
  type RedisServer,
  registerRedisRequirement,
  startRedisServer,
} from '../support/redisServer.js'
import { allRequests, recordingLogger, sleep } from './oracles.js'
import { type Rig, startRig } from './rig.js'

const PRIVATE = ['user.orders.any.any.raw'] as const
const PUBLIC = ['ticker.BTC-PERPETUAL.100ms'] as const

const isRefreshAuth = (m: WsMessage): boolean =>
  m.kind === 'text' && m.data.includes('"public/auth"') && m.data.includes('"grant_type":"refresh_token"')

/** A second client on the rig's API key (another bot process, or an intruder). */
function sibling(rig: Rig, sessionName: string, store?: SessionStore): DeribitClient {
  return new DeribitClient({
    url: rig.sim.url,
    credentials: { clientId: rig.account.clientId, clientSecret: rig.account.clientSecret },
    sessionName,
    heartbeatIntervalSec: 0,
    requestTimeoutMs: 1500,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    logger: recordingLogger().logger,
    ...(store ? { store } : {}),
  })
}

describe('reliability scenarios: sessions', () => {
  it('50 concurrent private calls (reads and orders) at token expiry: exactly one refresh', async () => {
    await using rig = await startRig()
    const { client, sim } = rig
    await client.subscribe(PRIVATE)
    await client.connect()
    const before = sim.stats.refreshes
    sim.faults.expireTokens('bot')
    const reads = Array.from({ length: 40 }, (_, i) =>
      rig.watch.watch(`read ${i}`, client.call('private/get_account_summary', { currency: 'BTC' })),
    )
    const orders = Array.from({ length: 10 }, (_, i) => rig.bid(`at-expiry-${i}`))
    const summaries = await Promise.all(reads)
    await Promise.all(orders)
    expect(summaries.every((s) => s.id === rig.account.mainAccountId)).toBe(true)
    expect(sim.stats.refreshes - before).toBe(1)
    await rig.verify()
  })

  it.each<RefreshTokenReuse>(['reject', 'revoke-session'])(
    'a refresh answer lost (reuse %s): the exchange rotated the token; one signature fallback, no loop',
    async (reuse) => {
      await using rig = await startRig({ sim: { refreshTokenReuse: reuse } })
      const { client, sim, proxy } = rig
      await client.subscribe([...PUBLIC, ...PRIVATE])
      await client.connect()
      await rig.bid('before-lost-refresh')
      const signatures = sim.stats.authByGrant.client_signature
      const refreshes = sim.stats.refreshes
      const fired = proxy.resetAfterServerReceives(isRefreshAuth)
      // The refresh resolves with the session the reconnect established: no second refresh is spent.
      const refreshed = await rig.watch.watch('refresh', client.refreshToken())
      expect(refreshed).toBe(client.session)
      expect(await fired).toBe(true)
      await rig.heal()
      // The lost refresh was granted (rotated); the stale refresh token was refused once; one signature healed it.
      expect(sim.stats.refreshes - refreshes).toBe(1)
      expect(sim.stats.authByGrant.client_signature - signatures).toBe(1)
      const opened = sim.stats.connectionsOpened
      await sleep(300)
      expect(sim.stats.connectionsOpened).toBe(opened)
      // The new chain works: a refresh now succeeds without any fallback.
      await rig.watch.watch('refresh again', client.refreshToken())
      expect(sim.stats.authByGrant.client_signature - signatures).toBe(1)
      await rig.bid('after-lost-refresh')
      await rig.verify()
    },
  )

  it('a stale writer: the store refuses its claim, it adopts the newer tokens, no token spent twice', async () => {
    const store = new MemorySessionStore()
    await using rig = await startRig({ client: { store } })
    const { client, sim } = rig
    await client.connect()
    await waitFor(() => (client.session?.lockVersion ?? 0) > 0, 'the first save')
    // A second process resumes the same stored session: it spends the refresh token under a claim.
    const other = sibling(rig, 'bot', store)
    await other.connect()
    expect(other.session?.id).toBe(client.session?.id)
    // The first process still holds the spent refresh token: a stale writer.
    const failures = sim.stats.authFailures
    const refreshed = await rig.watch.watch('stale refresh', client.refreshToken())
    expect(refreshed.refreshToken).toBe(other.session?.refreshToken)
    expect(sim.stats.authFailures).toBe(failures)
    // Both go on: each refreshes in turn from the newest version, never with a spent token.
    await rig.watch.watch('refresh a', client.refreshToken())
    await rig.watch.watch('refresh b', other.refreshToken())
    expect(sim.stats.authFailures).toBe(failures)
    await rig.bid('stale-writer-order')
    await other.close()
    await rig.verify()
  })

  it('a file-store crash between write and rename: the client trades on; a restart heals once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-reliability-'))
    const path = join(dir, 'sessions.json')
    try {
      await using rig = await startRig({ client: { store: new FileSessionStore({ path }) } })
      const { client, sim } = rig
      await client.subscribe(PRIVATE)
      await client.connect()
      await waitFor(() => (client.session?.lockVersion ?? 0) > 0, 'the first save')
      const original = fs.promises.rename
      // The temp file is written, the rename never happens: what a crash at that point leaves behind.
      fs.promises.rename = async () => {
        throw Object.assign(new Error('simulated crash before rename'), { code: 'EIO' })
      }
      syncBuiltinESMExports()
      try {
        await rig.watch.watch('refresh during crash', client.refreshToken())
        await rig.bid('while-store-broken')
      } finally {
        fs.promises.rename = original
        syncBuiltinESMExports()
      }
      // The file still holds the tokens from before the crash, which the exchange has since rotated.
      const onFile = await new FileSessionStore({ path }).getAll({ sessionName: 'bot' })
      expect(onFile.map((s) => s.context.refreshToken)).not.toContain(client.session?.refreshToken)
      // A restarted process resumes the file's (older, spent) tokens: refused once, then signature.
      const signatures = sim.stats.authByGrant.client_signature
      const failures = sim.stats.authFailures
      const restarted = sibling(rig, 'bot', new FileSessionStore({ path }))
      await restarted.connect()
      expect(sim.stats.authFailures - failures).toBe(1)
      expect(sim.stats.authByGrant.client_signature - signatures).toBe(1)
      const { order } = await restarted.buy({
        instrument_name: 'BTC-PERPETUAL',
        amount: 10,
        type: 'limit',
        price: 1000,
        label: 'after-restart',
      })
      expect(sim.orderCount(rig.account.mainAccountId, 'after-restart')).toBe(1)
      await restarted.cancel(order.order_id)
      await restarted.close()
      await rig.verify()
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('fork up to and past 16 sessions; evicted by another process, the client heals once without looping', async () => {
    await using rig = await startRig()
    const { client, sim } = rig
    await client.subscribe([...PUBLIC, ...PRIVATE])
    await client.connect()
    // 'bot' plus 17 forks: the 17th and 18th sessions evict the oldest ('bot', then f1).
    for (let i = 1; i <= 17; i++) await rig.watch.watch(`fork f${i}`, client.forkToken(`f${i}`))
    expect(client.session?.sessionName).toBe('f17')
    await rig.bid('after-forks')
    // Another process on the same key opens 16 sessions: every session of ours is evicted.
    const intruder = sibling(rig, 'x0')
    await intruder.connect()
    for (let i = 1; i < 16; i++) await intruder.forkToken(`x${i}`)
    await intruder.close()
    const signatures = sim.stats.authByGrant.client_signature
    const failures = sim.stats.authFailures
    sim.faults.expireTokens('f17')
    const summary = await rig.watch.watch(
      'call after eviction',
      client.call('private/get_account_summary', { currency: 'BTC' }),
    )
    expect(summary.id).toBe(rig.account.mainAccountId)
    expect(sim.stats.authByGrant.client_signature - signatures).toBe(1)
    expect(sim.stats.authFailures - failures).toBe(1)
    await sleep(300)
    expect(sim.stats.authFailures - failures).toBe(1)
    expect(client.session?.sessionName).toBe('f17')
    await rig.verify()
  })

  it('switching subaccounts back and forth 20 times: held sessions and their refresh timers stay bounded', async () => {
    // Found by the soak: every exchange held one more session, each with its own refresh timer.
    // Deribit keeps at most 16 sessions per key, so holding more can never be useful.
    await using rig = await startRig()
    const { client, subA, account } = rig
    await client.subscribe(PRIVATE)
    await client.connect()
    const timers = (): number => process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length
    for (let i = 0; i < 6; i++) await client.exchangeToken(i % 2 === 0 ? subA : account.mainAccountId)
    const timersAfter6 = timers()
    for (let i = 0; i < 14; i++) await client.exchangeToken(i % 2 === 0 ? subA : account.mainAccountId)
    expect(client.heldSessions().length).toBeLessThanOrEqual(16)
    expect(timers()).toBeLessThanOrEqual(timersAfter6 + 10)
    await rig.bid('after-switching', { accounts: [account.mainAccountId, subA] })
    await rig.verify()
  })

  it('reconnect with a connection-scoped token: no stale-token call reaches the exchange', async () => {
    await using rig = await startRig({ connectionScope: true })
    const { client, sim, proxy } = rig
    await client.subscribe([...PUBLIC, ...PRIVATE])
    await client.connect()
    await rig.watch.watch('refresh', client.refreshToken())
    await rig.bid('before-drop')
    const old = client.sessions.flatMap((s) => [s.accessToken, s.refreshToken])
    const firstConnection = sim.log.connections().at(-1)?.id as number
    const opened = sim.stats.connectionsOpened
    proxy.reset()
    await waitFor(() => sim.stats.connectionsOpened > opened, 'the reconnect')
    await rig.heal()
    await rig.bid('after-drop')
    await rig.watch.watch('refresh after', client.refreshToken())
    const later = allRequests(sim).filter((r) => r.connectionId > firstConnection)
    expect(later.length).toBeGreaterThan(0)
    const stale = later.filter((r) => old.some((token) => r.text.includes(token)))
    expect(stale.map((r) => r.frame.method)).toEqual([])
    await rig.verify()
  })

  it('a signature with clock skew: within the window it works; beyond it a clear typed error, no loop', async () => {
    {
      await using rig = await startRig({ sim: { now: () => Date.now() + 30_000 } })
      await rig.client.connect()
      await rig.verify({ skipSubscriptions: true })
    }
    await using rig = await startRig({ sim: { now: () => Date.now() + 5 * 60_000 } })
    const { client, sim } = rig
    const attempt = rig.watch.watch('connect', client.connect())
    await expect(attempt).rejects.toMatchObject({
      code: 'REVOKED',
      exchangeCode: 13004,
      data: { reason: expect.stringMatching(/timestamp/) },
    })
    await expect(attempt).rejects.toThrow(/clock/)
    expect(client.state).toBe('closed')
    await sleep(300)
    expect(sim.stats.connectionsOpened).toBe(1)
    expect(sim.stats.authFailures).toBe(1)
    await rig.verify({ skipSubscriptions: true })
  })
})

registerRedisRequirement('test/reliability/sessionScenarios.test.ts')

describe.runIf(REDIS_SERVER_AVAILABLE)('reliability scenarios: sessions in Redis', () => {
  let redis: RedisServer
  const stores: RedisSessionStore[] = []
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)))
  })
  afterAll(async () => {
    await redis?.stop('SIGTERM')
  })
  const storeOn = (port: number, keyPrefix: string): RedisSessionStore => {
    const store = new RedisSessionStore({ redis: { host: '127.0.0.1', port }, keyPrefix })
    stores.push(store)
    return store
  }

  // Two OS processes are covered by test/client/multiProcess.test.ts; here two clients with their own
  // Redis connections race in one process, under the oracles.
  it('two processes refreshing one Redis session at once: one refresh reaches the exchange', async () => {
    await using rig = await startRig({ client: { store: storeOn(redis.port, 'rel-two:') } })
    const { client, sim } = rig
    await client.connect()
    await waitFor(() => (client.session?.lockVersion ?? 0) > 0, 'the first save')
    const other = sibling(rig, 'bot', storeOn(redis.port, 'rel-two:'))
    await other.connect()
    const failures = sim.stats.authFailures
    const refreshes = sim.stats.refreshes
    const [a, b] = await Promise.all([
      rig.watch.watch('refresh a', client.refreshToken()),
      rig.watch.watch('refresh b', other.refreshToken()),
    ])
    expect(sim.stats.refreshes - refreshes).toBe(1)
    expect(sim.stats.authFailures).toBe(failures)
    // The loser adopted stored tokens (possibly ones the winner spends next: equality is not promised);
    // whichever holds older tokens heals on its next claim, never spending a spent token.
    expect([a.refreshToken, b.refreshToken]).toContain(other.session?.refreshToken)
    await rig.watch.watch('refresh a again', client.refreshToken())
    await rig.watch.watch('refresh b again', other.refreshToken())
    expect(sim.stats.authFailures).toBe(failures)
    await rig.bid('two-processes')
    await other.close()
    await rig.verify({
      afterClose: async () => Promise.all(stores.splice(0).map((s) => s.close())).then(() => undefined),
    })
  })

  it('Redis killed mid-refresh: the client keeps trading on its in-memory tokens', async () => {
    const doomed = await startRedisServer()
    try {
      await using rig = await startRig({ client: { store: storeOn(doomed.port, 'rel-kill:') } })
      const { client, sim } = rig
      await client.subscribe(PRIVATE)
      await client.connect()
      await waitFor(() => (client.session?.lockVersion ?? 0) > 0, 'the first save')
      sim.faults.delayResponses(300)
      const refreshesSeen = allRequests(sim).filter((r) => r.text.includes('"grant_type":"refresh_token"')).length
      const refresh = rig.watch.watch('refresh', client.refreshToken())
      await waitFor(
        () => allRequests(sim).filter((r) => r.text.includes('"grant_type":"refresh_token"')).length > refreshesSeen,
        'the refresh to reach the exchange',
      )
      await doomed.stop('SIGKILL')
      const after = await refresh
      sim.faults.delayResponses(0)
      expect(after.refreshToken).toBe(client.session?.refreshToken)
      await rig.bid('redis-gone')
      // The next refresh cannot even claim: it refreshes alone rather than stop trading.
      await rig.watch.watch('refresh without redis', client.refreshToken())
      await rig.bid('redis-still-gone')
      expect(client.state).toBe('ready')
      await rig.verify({
        afterClose: async () => Promise.all(stores.splice(0).map((s) => s.close())).then(() => undefined),
      })
    } finally {
      await doomed.stop('SIGKILL')
    }
  })
})
