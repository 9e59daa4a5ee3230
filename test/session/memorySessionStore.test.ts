import { describe, expect, it } from 'vitest'
import { MemorySessionBacking, MemorySessionStore } from '../../src/session/memorySessionStore.js'
import { toStoredSession } from '../../src/session/sessionStore.js'
import { describeSessionStoreContract, sampleContext } from './storeContract.js'

const backings = new Map<string, MemorySessionBacking>()

describeSessionStoreContract(
  'MemorySessionStore',
  (env) => {
    let backing = backings.get(env.namespace)
    if (backing === undefined) {
      backing = new MemorySessionBacking()
      backings.set(env.namespace, backing)
    }
    return new MemorySessionStore({ now: env.now, backing })
  },
  { sharedHandles: true },
)

describe('MemorySessionStore', () => {
  it('keeps separate data per instance by default', async () => {
    const a = new MemorySessionStore()
    const b = new MemorySessionStore()
    const ctx = sampleContext()
    await a.upsert(toStoredSession(ctx, { clientId: 'k' }), undefined)
    expect(await b.get(ctx.id)).toBeUndefined()
    await Promise.all([a.close(), b.close()])
  })

  it('stops notifying a closed handle', async () => {
    const backing = new MemorySessionBacking()
    const a = new MemorySessionStore({ backing })
    const b = new MemorySessionStore({ backing })
    const heard: string[] = []
    b.onRevoked((n) => heard.push(n))
    await b.close()
    await a.revoke('x', 1)
    await new Promise((r) => setTimeout(r, 5))
    expect(heard).toEqual([])
    expect(backing.listeners.size).toBe(0)
    await a.close()
  })
})
