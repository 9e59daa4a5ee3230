import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { toStoredSession } from '../../../src/session/sessionStore.js'
import { RedisSessionStore } from '../../../src/session/stores/redisSessionStore.js'
import {
  REDIS_SERVER_AVAILABLE,
  type RedisServer,
  registerRedisRequirement,
  startRedisServer,
} from '../../support/redisServer.js'
import { sampleContext } from '../storeContract.js'
import { startWorker, type Worker } from './fixtures/workerProcess.js'

registerRedisRequirement('redisMultiProcess.test.ts')

const ROUNDS = 15
const KEY = Buffer.alloc(32, 7).toString('base64')

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
  return 'resolved'
}

describe.runIf(REDIS_SERVER_AVAILABLE)('RedisSessionStore across OS processes and restarts', () => {
  const workers: Worker[] = []
  const stores: RedisSessionStore[] = []
  const servers: RedisServer[] = []
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.kill()))
    await Promise.all(stores.splice(0).map((s) => s.close()))
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')))
  })
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  const store = (port: number, prefix: string) => {
    const s = new RedisSessionStore({ redis: { host: '127.0.0.1', port }, keyPrefix: prefix, encryptionKey: KEY })
    stores.push(s)
    return s
  }

  it('lets exactly one of two processes win each compare-and-set round, and hears a revocation within 1 s', async () => {
    const server = await startRedisServer()
    servers.push(server)
    const config = { kind: 'redis', port: server.port, prefix: 'mp:', encryptionKey: KEY }
    const [a, b] = await Promise.all([startWorker(config), startWorker(config)])
    workers.push(a, b)
    expect(await a.ask({ op: 'write', id: 'shared-1', expected: null, tag: 'init' })).toMatchObject({ version: 1 })
    const local = store(server.port, 'mp:')
    for (let round = 0; round < ROUNDS; round++) {
      const [va, vb] = await Promise.all([a.ask({ op: 'read', id: 'shared-1' }), b.ask({ op: 'read', id: 'shared-1' })])
      expect([va.version, vb.version]).toEqual([round + 1, round + 1])
      const atMs = Date.now() + 15
      const results = await Promise.all([
        a.ask({ op: 'cas', id: 'shared-1', expected: round + 1, tag: `a${round}`, atMs }),
        b.ask({ op: 'cas', id: 'shared-1', expected: round + 1, tag: `b${round}`, atMs }),
      ])
      expect(results.map((r) => r.result).sort()).toEqual(['STORE_CONFLICT', 'won'])
      const winner = results[0]?.result === 'won' ? `a${round}` : `b${round}`
      const stored = await local.get('shared-1')
      expect(stored?.context.lockVersion).toBe(round + 2)
      expect(stored?.context.refreshToken).toBe(`refresh-${winner}`)
    }

    await Promise.all([a.ask({ op: 'listen' }), b.ask({ op: 'listen' })])
    const revokedAt = Date.now()
    await local.revoke('shared', 60)
    const heard = await Promise.all([a.next('revoked', 2_000), b.next('revoked', 2_000)])
    expect(heard.map((h) => h.name)).toEqual(['shared', 'shared'])
    for (const h of heard) expect((h.atMs as number) - revokedAt).toBeLessThan(1_000)
    expect(await local.get('shared-1')).toBeUndefined()
    expect((await b.ask({ op: 'write', id: 'shared-1', expected: null, tag: 'late' })).error).toBe('REVOKED')
  })

  it('loses and corrupts nothing when redis-server is killed mid-run and restarted; writes while down fail', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-aof-'))
    dirs.push(dir)
    let server = await startRedisServer({ persistDir: dir })
    servers.push(server)
    const port = server.port
    const local = store(port, 'restart:')
    const contexts = Array.from({ length: 5 }, (_, i) => sampleContext({ id: `keep-${i}`, sessionName: `keep${i}` }))
    const lifetime = { clientId: 'k', refreshExpiresAt: Date.now() + 120_000 }
    for (const ctx of contexts) await local.upsert(toStoredSession(ctx, lifetime), undefined)

    // Another process rewrites one session as fast as it can while the server dies under it.
    const writer = await startWorker({ kind: 'redis', port, prefix: 'restart:', encryptionKey: KEY })
    workers.push(writer)
    await writer.ask({ op: 'write', id: 'busy', expected: null, tag: 'init' })
    writer.tell({ op: 'writeLoop', id: 'busy' })
    await writer.next('acked')
    await new Promise((r) => setTimeout(r, 100))
    await server.stop('SIGKILL')
    servers.splice(servers.indexOf(server), 1)
    await writer.kill()
    const acked = Math.max(...writer.events.filter((e) => e.event === 'acked').map((e) => e.version as number))

    const downAt = Date.now()
    expect(await codeOf(local.upsert(toStoredSession(contexts[0]!, lifetime), 1))).toBe('STORE_UNAVAILABLE')
    expect(await codeOf(local.get('keep-0'))).toBe('STORE_UNAVAILABLE')
    expect(await codeOf(local.revoke('keep1', 60))).toBe('STORE_UNAVAILABLE')
    expect(Date.now() - downAt).toBeLessThan(1_000)

    server = await startRedisServer({ port, persistDir: dir })
    servers.push(server)
    await expect
      .poll(
        () =>
          local.get('keep-0').then(
            () => 'up',
            (e: { code?: string }) => e.code,
          ),
        { timeout: 5_000 },
      )
      .toBe('up')

    for (const ctx of contexts) {
      const stored = await local.get(ctx.id)
      // Version 1: the write refused while Redis was down was not replayed when it came back.
      expect(stored?.context.lockVersion).toBe(1)
      expect(stored?.context.refreshToken).toBe(ctx.refreshToken)
    }
    expect(await local.isRevoked('keep1')).toBe(false)
    const busy = await local.get('busy')
    expect([acked, acked + 1]).toContain(busy?.context.lockVersion)
    expect(busy?.context.refreshToken).toBe(`refresh-loop-${(busy?.context.lockVersion ?? 0) - 1}`)
    expect(await local.getAll()).toHaveLength(6)
    expect((await local.upsert(toStoredSession(contexts[0]!, lifetime), 1)).context.lockVersion).toBe(2)
  })

  it('hears a revocation published before its subscriber was listening', async () => {
    const server = await startRedisServer()
    servers.push(server)
    const other = store(server.port, 'early:')
    await other.isRevoked('x')
    const listener = store(server.port, 'early:')
    const heard: string[] = []
    listener.onRevoked((name) => heard.push(name))
    // Published while the listener's subscriber is still connecting: only its catch-up scan finds it.
    await other.revoke('early', 60)
    await expect.poll(() => heard, { timeout: 2_000 }).toEqual(['early'])
  })

  it('still hears revocations after Redis restarts under its subscriber', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'redis-aof-'))
    dirs.push(dir)
    let server = await startRedisServer({ persistDir: dir })
    servers.push(server)
    const port = server.port
    const listener = store(port, 'away:')
    const heard: string[] = []
    listener.onRevoked((name) => heard.push(name))
    await listener.isRevoked('x')
    await server.stop('SIGKILL')
    servers.splice(0)
    server = await startRedisServer({ port, persistDir: dir })
    servers.push(server)
    const other = store(port, 'away:')
    await other.revoke('gone', 60)
    await expect.poll(() => heard, { timeout: 5_000 }).toEqual(['gone'])
  })
})
