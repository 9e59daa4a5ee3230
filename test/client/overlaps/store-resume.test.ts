/**
 * Issue 13, cases 5 and 6: the session a bot resumes or refreshes into is the one it was on.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { SessionContext } from '../../../src/index.js'
import { FileSessionStore } from '../../../src/stores/file.js'
import { bid, clientConnection, expectTruthfulOrder, settledWithin, startOverlapWorld, track } from './overlapWorld.js'

describe('the session resumed is the one the bot was on (issue 13)', () => {
  it('case 5: FileSessionStore, exchange to a sub, switch back to main, close, restart: resumes main', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'overlap-store-'))
    try {
      const path = join(dir, 'sessions.json')
      await using w = await startOverlapWorld({ client: { store: new FileSessionStore({ path }) } })
      await w.client.connect()
      const mainSession = (w.client.session as SessionContext).id
      await w.client.exchangeToken(w.subA)
      await w.client.switchSession(mainSession)
      expect(w.client.subjectId).toBe(w.main)
      await w.client.close()

      const restarted = w.another({ sessionName: 'bot', store: new FileSessionStore({ path }) })
      await restarted.connect()
      expect(restarted.subjectId, 'the restarted bot is on the account it stopped on').toBe(w.main)
      const outcome = await settledWithin(track(restarted.buy(bid('c5'))), 3000, 'the buy after restart')
      expectTruthfulOrder(w, 'c5', w.main, outcome)
      expect(outcome.ok).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('case 6: on a subaccount, a refresh that falls back to signature auth stays on the subaccount', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    await w.client.exchangeToken(w.subA)
    const signaturesBefore = w.sim.stats.authByGrant.client_signature
    // The refresh token is refused: the client signs in again with the key.
    w.sim.faults.failNext('public/auth', 1, { code: 13009, message: 'unauthorized' })
    const refresh = await settledWithin(track(w.client.refreshToken()), 5000, 'the refresh')
    expect(w.sim.stats.authByGrant.client_signature, 'the fallback signed in').toBe(signaturesBefore + 1)
    await clientConnection(w)
    if (refresh.ok) expect(refresh.value.subjectId, 'the refreshed session').toBe(w.subA)
    expect(w.client.subjectId, 'the client says it is on the subaccount').toBe(w.subA)
    const outcome = await settledWithin(track(w.client.buy(bid('c6'))), 3000, 'the buy after the refresh')
    expectTruthfulOrder(w, 'c6', w.subA, outcome)
    expect(outcome.ok).toBe(true)
  })
})
