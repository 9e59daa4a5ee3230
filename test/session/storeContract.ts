/**
 * The behaviour every {@link SessionStore} must have, as a reusable vitest suite. Memory,
 * file and Redis stores run the same suite:
 *
 * ```ts
 * describeSessionStoreContract('FileSessionStore', (env) => new FileSessionStore({ dir: dirFor(env.namespace), now: env.now }))
 * ```
 *
 * Rules for `makeStore(env)`:
 * - Judge every expiry (`refreshExpiresAt`, revocation TTL) with `env.now()`: the suite moves
 *   that clock instead of sleeping. A store that also sets native TTLs (Redis `PX`) must still
 *   compare against `env.now()` when reading.
 * - Start empty for a new `env.namespace`. With `{ sharedHandles: true }`, two calls with the
 *   same env must return two handles onto the same data (as two processes would have).
 * The suite closes every store it made.
 */
import { inspect } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { DeribitError } from '../../src/errors.js'
import { createSessionContext, type SessionContext } from '../../src/session/sessionContext.js'
import type { SessionStore, StoredSession } from '../../src/session/sessionStore.js'
import { toStoredSession } from '../../src/session/sessionStore.js'

/** What the suite gives `makeStore`. */
export interface StoreTestEnv {
  /** Unique per test. */
  readonly namespace: string
  /** The suite's clock (ms since epoch). */
  now(): number
}

/** Optional capabilities of the store under test. */
export interface StoreContractOptions {
  /** Two `makeStore(env)` calls with one env share data (file, Redis). @default false */
  sharedHandles?: boolean
  /** The store implements `onRevoked`. @default true */
  onRevoked?: boolean
}

const ACCESS_CANARY = 'ACCESS-CANARY-5d1e0c'
const REFRESH_CANARY = 'REFRESH-CANARY-9a7b44'
const T0 = 1_700_000_000_000

let seq = 0

/** A session-scoped context; `n` makes ids and tokens distinct. */
export function sampleContext(
  fields: { id?: string; sessionName?: string; subjectId?: number; active?: boolean; n?: number } = {},
): SessionContext {
  const n = fields.n ?? seq++
  const name = fields.sessionName ?? `s${n}`
  return createSessionContext({
    id: fields.id ?? `sess-${n}`,
    createdAt: T0,
    accessToken: `${ACCESS_CANARY}-${n}`,
    refreshToken: `${REFRESH_CANARY}-${n}`,
    expiresAt: T0 + 900_000,
    transition: 'initial',
    subjectId: fields.subjectId,
    sessionName: name,
    scope: `session:${name} trade:read_write`,
    active: fields.active ?? true,
    lockVersion: 0,
  })
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof DeribitError) return error.code
    return `non-DeribitError: ${String(error)}`
  }
  return 'resolved'
}

function messageOf(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => '',
    (e: unknown) => `${String(e)} ${inspect(e, { depth: 10, showHidden: true })}`,
  )
}

/** Registers the contract suite for one store implementation. */
export function describeSessionStoreContract(
  name: string,
  makeStore: (env: StoreTestEnv) => SessionStore | Promise<SessionStore>,
  options: StoreContractOptions = {},
): void {
  describe(`SessionStore contract: ${name}`, () => {
    let clock = T0
    let testNo = 0
    const opened: SessionStore[] = []
    let env: StoreTestEnv

    async function open(sameEnv = false): Promise<SessionStore> {
      if (!sameEnv) {
        clock = T0
        env = { namespace: `contract-${process.pid}-${Date.now()}-${testNo++}`, now: () => clock }
      }
      const store = await makeStore(env)
      opened.push(store)
      return store
    }

    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((s) => s.close()))
    })

    it('creates with lockVersion 1 and round-trips tokens and metadata', async () => {
      const store = await open()
      const ctx = sampleContext({ subjectId: 7 })
      const created = await store.upsert(toStoredSession(ctx, { clientId: 'c1', lastCallAt: T0 + 5 }), undefined)
      expect(created.context.lockVersion).toBe(1)
      const got = await store.get(ctx.id)
      expect(got).toBeDefined()
      expect(got?.context.accessToken).toBe(ctx.accessToken)
      expect(got?.context.refreshToken).toBe(ctx.refreshToken)
      expect(got?.context.lockVersion).toBe(1)
      expect(got?.metadata).toMatchObject({
        clientId: 'c1',
        subjectId: 7,
        sessionName: ctx.sessionName,
        lastCallAt: T0 + 5,
        createdAt: T0,
      })
      expect(got?.context).toMatchObject({ id: ctx.id, scope: ctx.scope, expiresAt: ctx.expiresAt, active: true })
      expect(Object.isFrozen(got?.context)).toBe(true)
      expect(await store.get('no-such-id')).toBeUndefined()
    })

    it('refuses stale writes with STORE_CONFLICT and bumps the version on each write', async () => {
      const store = await open()
      const ctx = sampleContext()
      const s = toStoredSession(ctx, { clientId: 'c1' })
      await store.upsert(s, undefined)
      expect(await codeOf(store.upsert(s, undefined))).toBe('STORE_CONFLICT')
      const v2 = await store.upsert(s, 1)
      expect(v2.context.lockVersion).toBe(2)
      expect(await codeOf(store.upsert(s, 1))).toBe('STORE_CONFLICT')
      expect(await codeOf(store.upsert(toStoredSession(sampleContext(), { clientId: 'c1' }), 3))).toBe('STORE_CONFLICT')
      expect((await store.get(ctx.id))?.context.lockVersion).toBe(2)
    })

    it('lets exactly one of two concurrent writers with the same expected version win', async () => {
      const store = await open()
      const ctx = sampleContext()
      await store.upsert(toStoredSession(ctx, { clientId: 'c1' }), undefined)
      const results = await Promise.allSettled([
        store.upsert(toStoredSession(ctx, { clientId: 'c1', lastCallAt: 1 }), 1),
        store.upsert(toStoredSession(ctx, { clientId: 'c1', lastCallAt: 2 }), 1),
      ])
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
      const failed = results.find((r) => r.status === 'rejected')
      expect((failed as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_CONFLICT' })
    })

    it('refuses connection-scoped sessions with INVALID_ARGUMENT', async () => {
      const store = await open()
      const ctx = sampleContext()
      const connectionScoped: StoredSession = {
        ...toStoredSession(ctx, { clientId: 'c1' }),
        context: createSessionContext({
          ...ctx,
          accessToken: ctx.accessToken,
          refreshToken: ctx.refreshToken,
          sessionName: undefined,
          scope: 'connection',
        }),
      }
      expect(await codeOf(store.upsert(connectionScoped, undefined))).toBe('INVALID_ARGUMENT')
      expect(await store.getAll()).toEqual([])
    })

    it('never returns expired sessions and lets a new one take their place', async () => {
      const store = await open()
      const ctx = sampleContext()
      await store.upsert(toStoredSession(ctx, { clientId: 'c1', refreshExpiresAt: T0 + 1_000 }), undefined)
      const forever = sampleContext()
      await store.upsert(toStoredSession(forever, { clientId: 'c1' }), undefined)
      clock = T0 + 999
      expect(await store.get(ctx.id)).toBeDefined()
      clock = T0 + 1_000
      expect(await store.get(ctx.id)).toBeUndefined()
      expect((await store.getAll()).map((s) => s.context.id)).toEqual([forever.id])
      expect(await store.delete(ctx.id)).toBe(false)
      const again = await store.upsert(toStoredSession(ctx, { clientId: 'c1' }), undefined)
      expect(again.context.lockVersion).toBe(1)
    })

    it('filters getAll by clientId, subjectId, sessionName and active', async () => {
      const store = await open()
      const a = sampleContext({ sessionName: 'alpha', subjectId: 1 })
      const b = sampleContext({ sessionName: 'beta', subjectId: 2, active: false })
      const c = sampleContext({ sessionName: 'gamma' })
      await store.upsert(toStoredSession(a, { clientId: 'k1' }), undefined)
      await store.upsert(toStoredSession(b, { clientId: 'k1' }), undefined)
      await store.upsert(toStoredSession(c, { clientId: 'k2' }), undefined)
      const ids = async (filter?: Parameters<SessionStore['getAll']>[0]) =>
        (await store.getAll(filter)).map((s) => s.context.id).sort()
      expect(await ids()).toEqual([a.id, b.id, c.id].sort())
      expect(await ids({ clientId: 'k1' })).toEqual([a.id, b.id].sort())
      expect(await ids({ subjectId: 2 })).toEqual([b.id])
      expect(await ids({ sessionName: 'gamma' })).toEqual([c.id])
      expect(await ids({ active: true })).toEqual([a.id, c.id].sort())
      expect(await ids({ active: false, clientId: 'k1' })).toEqual([b.id])
      expect(await ids({ clientId: 'k1', sessionName: 'gamma' })).toEqual([])
    })

    it('deletes one or many', async () => {
      const store = await open()
      const a = sampleContext({ subjectId: 1 })
      const b = sampleContext({ subjectId: 1 })
      const c = sampleContext({ subjectId: 2 })
      for (const ctx of [a, b, c]) await store.upsert(toStoredSession(ctx, { clientId: 'k' }), undefined)
      expect(await store.delete(a.id)).toBe(true)
      expect(await store.delete(a.id)).toBe(false)
      expect(await store.get(a.id)).toBeUndefined()
      expect(await store.deleteAll({ subjectId: 2 })).toBe(1)
      expect((await store.getAll()).map((s) => s.context.id)).toEqual([b.id])
      expect(await store.deleteAll()).toBe(1)
      expect(await store.getAll()).toEqual([])
    })

    it('revokes a session name for a TTL: entries go, rewrites are refused, then it lapses', async () => {
      const store = await open()
      const bot = sampleContext({ sessionName: 'bot' })
      const other = sampleContext({ sessionName: 'other' })
      await store.upsert(toStoredSession(bot, { clientId: 'k' }), undefined)
      await store.upsert(toStoredSession(other, { clientId: 'k' }), undefined)
      expect(await store.isRevoked('bot')).toBe(false)
      await store.revoke('bot', 60)
      expect(await store.isRevoked('bot')).toBe(true)
      expect(await store.isRevoked('other')).toBe(false)
      expect(await store.get(bot.id)).toBeUndefined()
      expect(await store.get(other.id)).toBeDefined()
      expect(await codeOf(store.upsert(toStoredSession(bot, { clientId: 'k' }), undefined))).toBe('REVOKED')
      clock = T0 + 60_000
      expect(await store.isRevoked('bot')).toBe(false)
      expect((await store.upsert(toStoredSession(bot, { clientId: 'k' }), undefined)).context.lockVersion).toBe(1)
    })

    if (options.onRevoked !== false) {
      it('tells onRevoked listeners, until they unsubscribe', async () => {
        const store = await open()
        expect(store.onRevoked).toBeTypeOf('function')
        const heard: string[] = []
        const off = store.onRevoked!((n) => heard.push(n))
        await store.revoke('bot', 60)
        await expect.poll(() => heard, { timeout: 2_000 }).toEqual(['bot'])
        off()
        await store.revoke('bot2', 60)
        await new Promise((r) => setTimeout(r, 20))
        expect(heard).toEqual(['bot'])
      })
    }

    it('never shows tokens when entries or its errors are logged', async () => {
      const store = await open()
      const ctx = sampleContext()
      const created = await store.upsert(toStoredSession(ctx, { clientId: 'k' }), undefined)
      const texts = [
        JSON.stringify(created),
        inspect(created, { depth: 10, showHidden: true }),
        JSON.stringify(await store.get(ctx.id)),
        inspect(await store.getAll(), { depth: 10, showHidden: true }),
        await messageOf(store.upsert(toStoredSession(ctx, { clientId: 'k' }), undefined)),
        inspect(store, { depth: 10, showHidden: true }),
      ]
      for (const text of texts) {
        expect(text).not.toContain(ACCESS_CANARY)
        expect(text).not.toContain(REFRESH_CANARY)
      }
    })

    it('rejects every call with STORE_UNAVAILABLE after close', async () => {
      const store = await open()
      await store.close()
      await store.close()
      expect(await codeOf(store.get('x'))).toBe('STORE_UNAVAILABLE')
      expect(await codeOf(store.getAll())).toBe('STORE_UNAVAILABLE')
      expect(await codeOf(store.upsert(toStoredSession(sampleContext(), { clientId: 'k' }), undefined))).toBe(
        'STORE_UNAVAILABLE',
      )
      expect(await codeOf(store.revoke('x', 1))).toBe('STORE_UNAVAILABLE')
    })

    if (options.sharedHandles) {
      it('shares entries, conflicts and revocations between handles', async () => {
        const first = await open()
        const second = await open(true)
        const ctx = sampleContext({ sessionName: 'shared' })
        await first.upsert(toStoredSession(ctx, { clientId: 'k' }), undefined)
        expect((await second.get(ctx.id))?.context.refreshToken).toBe(ctx.refreshToken)
        await second.upsert(toStoredSession(ctx, { clientId: 'k' }), 1)
        expect(await codeOf(first.upsert(toStoredSession(ctx, { clientId: 'k' }), 1))).toBe('STORE_CONFLICT')
        if (options.onRevoked !== false) {
          const heard: string[] = []
          second.onRevoked!((n) => heard.push(n))
          await first.revoke('shared', 60)
          await expect.poll(() => heard, { timeout: 2_000 }).toEqual(['shared'])
        } else {
          await first.revoke('shared', 60)
        }
        expect(await second.isRevoked('shared')).toBe(true)
        expect(await second.get(ctx.id)).toBeUndefined()
      })
    }
  })
}
