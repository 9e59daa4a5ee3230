import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/client.js'
import { MemorySessionStore } from '../../src/session/memorySessionStore.js'
import { FileSessionStore } from '../../src/session/stores/fileSessionStore.js'
import { startSimulator } from '../../src/simulator/index.js'
import { waitFor } from './harness.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function world() {
  const sim = await startSimulator({ seed: 9, marketRateHz: 0 })
  const account = sim.createAccount({ subaccounts: 1 })
  const dir = mkdtempSync(join(tmpdir(), 'ds-client-store-'))
  dirs.push(dir)
  const path = join(dir, 'sessions.json')
  const client = (store: FileSessionStore | MemorySessionStore, sessionName?: string) =>
    new DeribitClient({
      url: sim.url,
      credentials: { clientId: account.clientId, clientSecret: account.clientSecret },
      store,
      heartbeatIntervalSec: 0,
      ...(sessionName ? { sessionName } : {}),
    })
  return { sim, account, path, client }
}

describe('client with a session store', () => {
  it('a restarted process resumes its stored session instead of logging in again', async () => {
    const { sim, account, path, client } = await world()
    await using _ = sim
    const first = client(new FileSessionStore({ path }), 'bot')
    await first.connect()
    await waitFor(() => (first.session?.lockVersion ?? 0) > 0, 'the first save')
    const sessionId = first.session?.id
    await first.close()

    const restarted = client(new FileSessionStore({ path }), 'bot')
    await restarted.connect()
    expect(restarted.session?.id).toBe(sessionId)
    expect(sim.stats.authByGrant.client_signature).toBe(1)
    expect(sim.stats.authByGrant.refresh_token).toBe(1)
    // The secret is never stored; the file is for this user only.
    const text = readFileSync(path, 'utf8')
    expect(text).not.toContain(account.clientSecret)
    await restarted.close()
  })

  it('saves every transition and stores only session-scoped tokens', async () => {
    const { sim, account, client } = await world()
    await using _ = sim
    const store = new MemorySessionStore()
    const named = client(store, 'bot')
    await named.connect()
    await named.forkToken('worker')
    await named.exchangeToken(account.subaccountIds[0] as number)
    await waitFor(() => (named.session?.lockVersion ?? 0) > 0, 'the last save')
    const stored = await store.getAll({ clientId: account.clientId })
    expect(stored.map((s) => s.context.sessionName).sort()).toEqual(['bot', 'worker', 'worker'])
    expect(stored.find((s) => s.context.id === named.session?.id)?.metadata.subjectId).toBe(account.subaccountIds[0])
    await named.close()

    const connectionScoped = client(new MemorySessionStore())
    await connectionScoped.connect()
    expect(connectionScoped.session?.sessionName).toBeUndefined()
    await connectionScoped.close()
  })

  it('a session revoked in the store is not resumed: connect fails with REVOKED', async () => {
    const { sim, client } = await world()
    await using _ = sim
    const store = new MemorySessionStore()
    await store.revoke('bot', 60)
    const revoked: unknown[] = []
    const c = client(store, 'bot')
    c.on('revoked', (e) => revoked.push(e))
    await expect(c.connect()).rejects.toMatchObject({ code: 'REVOKED' })
    expect(revoked).toHaveLength(1)
    expect(sim.stats.connectionsOpened).toBe(0)
  })
})
