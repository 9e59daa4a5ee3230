import { mkdtempSync, rmSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { toStoredSession } from '../../../src/session/sessionStore.js'
import { FileSessionStore } from '../../../src/session/stores/fileSessionStore.js'
import { sampleContext } from '../storeContract.js'
import { startWorker, type Worker } from './fixtures/workerProcess.js'

const root = mkdtempSync(join(tmpdir(), 'file-mp-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const ROUNDS = 15

describe('FileSessionStore across OS processes', () => {
  const workers: Worker[] = []
  const stores: FileSessionStore[] = []
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()))
    await Promise.all(stores.splice(0).map((s) => s.close()))
  })
  const store = (path: string) => {
    const s = new FileSessionStore({ path })
    stores.push(s)
    return s
  }

  it('lets exactly one of two processes win each compare-and-set round, and hears a revocation within 1 s', async () => {
    const path = join(root, 'cas', 'sessions.json')
    const [a, b] = await Promise.all([startWorker({ kind: 'file', path }), startWorker({ kind: 'file', path })])
    workers.push(a, b)
    expect(await a.ask({ op: 'write', id: 'shared-1', expected: null, tag: 'init' })).toMatchObject({ version: 1 })
    const local = store(path)
    for (let round = 0; round < ROUNDS; round++) {
      const [va, vb] = await Promise.all([a.ask({ op: 'read', id: 'shared-1' }), b.ask({ op: 'read', id: 'shared-1' })])
      expect(va.version).toBe(round + 1)
      expect(vb.version).toBe(round + 1)
      const atMs = Date.now() + 15
      const results = await Promise.all([
        a.ask({ op: 'cas', id: 'shared-1', expected: round + 1, tag: `a${round}`, atMs }),
        b.ask({ op: 'cas', id: 'shared-1', expected: round + 1, tag: `b${round}`, atMs }),
      ])
      const outcomes = results.map((r) => r.result).sort()
      expect(outcomes).toEqual(['STORE_CONFLICT', 'won'])
      const winner = results[0]?.result === 'won' ? `a${round}` : `b${round}`
      const stored = await local.get('shared-1')
      expect(stored?.context.lockVersion).toBe(round + 2)
      expect(stored?.context.refreshToken).toBe(`refresh-${winner}`)
    }

    await a.ask({ op: 'listen' })
    const revokedAt = Date.now()
    await local.revoke('shared', 60)
    const heard = await a.next('revoked', 2_000)
    expect(heard.name).toBe('shared')
    expect(Date.now() - revokedAt).toBeLessThan(1_000)
    expect(await local.get('shared-1')).toBeUndefined()
    expect((await b.ask({ op: 'write', id: 'shared-1', expected: null, tag: 'late' })).error).toBe('REVOKED')
  })

  it('keeps the old file when a writer is killed between writing its temp file and the rename', async () => {
    const path = join(root, 'crash', 'sessions.json')
    const local = store(path)
    const ctx = sampleContext({ id: 'crash-1' })
    await local.upsert(toStoredSession(ctx, { clientId: 'k' }), undefined)
    const before = await fs.readFile(path, 'utf8')

    const writer = await startWorker({ kind: 'file', path, hangBeforeRename: true })
    workers.push(writer)
    writer.tell({ op: 'write', id: 'crash-1', expected: 1, tag: 'never' })
    await writer.next('renaming')
    await writer.kill()

    const dir = await fs.readdir(join(path, '..'))
    expect(dir.some((f) => f.endsWith('.tmp'))).toBe(true)
    expect(dir).toContain('sessions.json.lock')
    expect(await fs.readFile(path, 'utf8')).toBe(before)
    const reader = store(path)
    const stored = await reader.get('crash-1')
    expect(stored?.context.lockVersion).toBe(1)
    expect(stored?.context.refreshToken).toBe(ctx.refreshToken)
    // The dead writer's lock is taken over at once (its pid is gone), not after the stale timeout.
    const started = Date.now()
    expect((await reader.upsert(toStoredSession(ctx, { clientId: 'k' }), 1)).context.lockVersion).toBe(2)
    expect(Date.now() - started).toBeLessThan(1_000)
  })

  it('sweeps an old temp file of a dead writer on the next write, and leaves a fresh one alone', async () => {
    const path = join(root, 'sweep', 'sessions.json')
    const writer = await startWorker({ kind: 'file', path, hangBeforeRename: true })
    workers.push(writer)
    writer.tell({ op: 'write', id: 'sweep-1', expected: null, tag: 'never' })
    await writer.next('renaming')
    await writer.kill()
    const dir = join(path, '..')
    const orphan = (await fs.readdir(dir)).find((f) => f.endsWith('.tmp')) as string
    expect(orphan).toContain(`.${writer.pid}.`)
    const fresh = `.sessions.json.${writer.pid}.0123456789ab.tmp`
    await fs.writeFile(join(dir, fresh), 'partial')
    const old = new Date(Date.now() - 60_000)
    await fs.utimes(join(dir, orphan), old, old)
    await store(path).upsert(toStoredSession(sampleContext(), { clientId: 'k' }), undefined)
    expect((await fs.readdir(dir)).sort()).toEqual([fresh, 'sessions.json'])
  })

  it('leaves a whole, consistent file when a writer is killed at an arbitrary point', async () => {
    const path = join(root, 'kill', 'sessions.json')
    const writer = await startWorker({ kind: 'file', path })
    workers.push(writer)
    await writer.ask({ op: 'write', id: 'loop-1', expected: null, tag: 'init' })
    writer.tell({ op: 'writeLoop', id: 'loop-1' })
    await writer.next('acked')
    await new Promise((r) => setTimeout(r, 150 + Math.random() * 100))
    await writer.kill()
    const acked = Math.max(...writer.events.filter((e) => e.event === 'acked').map((e) => e.version as number))
    const stored = await store(path).get('loop-1')
    // The last acknowledged write, or one more whose acknowledgement the kill cut off.
    expect([acked, acked + 1]).toContain(stored?.context.lockVersion)
    expect(stored?.context.refreshToken).toBe(`refresh-loop-${(stored?.context.lockVersion ?? 0) - 1}`)
  })
})
