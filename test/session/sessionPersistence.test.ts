import { describe, expect, it } from 'vitest'
import { MemorySessionStore } from '../../src/session/memorySessionStore.js'
import { createSessionContext, type SessionContext, withChanges } from '../../src/session/sessionContext.js'
import { SessionPersistence } from '../../src/session/sessionPersistence.js'
import { toStoredSession } from '../../src/session/sessionStore.js'

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined }

function session(refreshToken: string): SessionContext {
  return createSessionContext({
    createdAt: Date.now(),
    accessToken: `access-of-${refreshToken}`,
    refreshToken,
    expiresAt: Date.now() + 900_000,
    transition: 'initial',
    subjectId: undefined,
    sessionName: 'bot',
    scope: 'session:bot trade:read_write',
    active: true,
    lockVersion: 0,
  })
}

describe('SessionPersistence.spendRefreshToken', () => {
  it('keeps and stores the tokens it got even when the record changed while it spent (a claim taken over)', async () => {
    const store = new MemorySessionStore()
    const persistence = new SessionPersistence({ store, clientId: 'key', logger: quiet, autoSave: true })
    const first = await persistence.save(session('R1'))
    expect(first.lockVersion).toBe(1)

    const result = await persistence.spendRefreshToken(first, async (claimed) => {
      // Another process judged our claim dead and wrote the record meanwhile, still with R1.
      const current = await store.get(claimed.id)
      await store.upsert(
        toStoredSession(withChanges(current!.context, { active: true }), {
          ...current!.metadata,
          refreshClaimedAt: Date.now(),
        }),
        current!.context.lockVersion,
      )
      // The exchange granted R2 for R1: R2 is now the only live refresh token.
      return createSessionContext({
        ...claimed,
        id: claimed.id,
        refreshToken: 'R2',
        accessToken: 'A2',
        transition: 'refresh',
      })
    })

    expect(result.spent).toBe(true)
    expect(result.context.refreshToken).toBe('R2')
    const stored = await store.get(first.id)
    expect(stored?.context.refreshToken).toBe('R2')
    expect(stored?.context.lockVersion).toBe(result.context.lockVersion)
  })

  it('a second process adopts the stored tokens instead of spending the same refresh token', async () => {
    const store = new MemorySessionStore()
    const a = new SessionPersistence({ store, clientId: 'key', logger: quiet, autoSave: true })
    const b = new SessionPersistence({ store, clientId: 'key', logger: quiet, autoSave: true })
    const first = await a.save(session('R1'))
    const spentWith: string[] = []
    const spend = async (claimed: SessionContext) => {
      spentWith.push(claimed.refreshToken)
      return createSessionContext({ ...claimed, id: claimed.id, refreshToken: 'R2', transition: 'refresh' })
    }
    const [ra, rb] = await Promise.all([a.spendRefreshToken(first, spend), b.spendRefreshToken(first, spend)])
    expect(spentWith).toEqual(['R1'])
    expect([ra.spent, rb.spent].sort()).toEqual([false, true])
    expect(ra.context.refreshToken).toBe('R2')
    expect(rb.context.refreshToken).toBe('R2')
  })
})
