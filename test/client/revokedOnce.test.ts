import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/client.js'
import type { SessionStore } from '../../src/session/sessionStore.js'
import { FileSessionStore } from '../../src/session/stores/fileSessionStore.js'
import { RedisSessionStore } from '../../src/session/stores/redisSessionStore.js'
import { startSimulator } from '../../src/simulator/index.js'
import {
  REDIS_SERVER_AVAILABLE,
  type RedisServer,
  registerRedisRequirement,
  startRedisServer,
} from '../support/redisServer.js'
import { waitFor } from './harness.js'

registerRedisRequirement('test/client/revokedOnce.test.ts')

const KEY = Buffer.alloc(32, 3).toString('base64')

// One revocation reaches a client several ways at once (the store's listener, its own save
// refused as REVOKED); an encrypted store's slower save used to land in between and emit twice.
describe.runIf(REDIS_SERVER_AVAILABLE)("'revoked' is emitted once per revocation, whatever the store", () => {
  let redis: RedisServer
  let dir: string
  beforeAll(async () => {
    redis = await startRedisServer()
    dir = mkdtempSync(join(tmpdir(), 'ds-revoked-once-'))
  })
  afterAll(async () => {
    await redis?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  const stores: Record<string, (n: number) => SessionStore> = {
    redis: (n) => new RedisSessionStore({ redis: { host: '127.0.0.1', port: redis.port }, keyPrefix: `{once-${n}}:` }),
    'redis with encryptionKey': (n) =>
      new RedisSessionStore({
        redis: { host: '127.0.0.1', port: redis.port },
        keyPrefix: `{once-${n}}:`,
        encryptionKey: KEY,
      }),
    'file with encryptionKey': (n) =>
      new FileSessionStore({ path: join(dir, `once-${n}.json`), encryptionKey: KEY, pollIntervalMs: 50 }),
  }
  let n = 0
  for (const [kind, make] of Object.entries(stores)) {
    for (const when of ['right after connect', 'after the first save']) {
      it(`${kind}, revoked ${when}`, async () => {
        await using sim = await startSimulator({ seed: 9, marketRateHz: 0 })
        const account = sim.createAccount()
        const store = make(n++)
        const client = new DeribitClient({
          url: sim.url,
          credentials: { clientId: account.clientId, clientSecret: account.clientSecret },
          sessionName: 'bot',
          store,
          heartbeatIntervalSec: 0,
        })
        const revoked: string[] = []
        client.on('revoked', (e) => revoked.push(e.code))
        await client.connect()
        if (when === 'after the first save') await waitFor(() => (client.session?.lockVersion ?? 0) > 0, 'the save')
        await store.revoke('bot', 60)
        await waitFor(() => client.state === 'closed', 'the client to stop', 3_000)
        // Late arrivals (the pub/sub echo, a poll, the refused save) would land within this.
        await new Promise((resolve) => setTimeout(resolve, 600))
        expect(revoked).toEqual(['REVOKED'])
        await store.close()
      })
    }
  }
})
