import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { toStoredSession } from '../../../src/session/sessionStore.js'
import { FileSessionStore } from '../../../src/session/stores/fileSessionStore.js'
import { describeSessionStoreContract, sampleContext } from '../storeContract.js'

const root = mkdtempSync(join(tmpdir(), 'file-store-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const KEY = randomBytes(32)

describeSessionStoreContract(
  'FileSessionStore',
  (env) => new FileSessionStore({ path: join(root, env.namespace, 'sessions.json'), now: env.now, pollIntervalMs: 50 }),
  { sharedHandles: true },
)

describeSessionStoreContract(
  'FileSessionStore with encryption',
  (env) =>
    new FileSessionStore({
      path: join(root, `${env.namespace}-enc`, 'sessions.json'),
      now: env.now,
      encryptionKey: KEY.toString('base64'),
      pollIntervalMs: 50,
    }),
  { sharedHandles: true },
)

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as { code?: string }).code ?? String(error)
  }
  return 'resolved'
}

describe('FileSessionStore on disk', () => {
  let n = 0
  const stores: FileSessionStore[] = []
  const fresh = (options: { encryptionKey?: Uint8Array | string } = {}) => {
    const path = join(root, `disk-${n++}`, 'sessions.json')
    const store = new FileSessionStore({ path, ...options })
    stores.push(store)
    return { path, store }
  }
  const open = (path: string, options: { encryptionKey?: Uint8Array | string } = {}) => {
    const store = new FileSessionStore({ path, ...options })
    stores.push(store)
    return store
  }
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()))
  })

  it('writes the file 0600 with a header, and the directory 0700', async () => {
    const { path, store } = fresh()
    await store.upsert(toStoredSession(sampleContext(), { clientId: 'k' }), undefined)
    expect((await fs.stat(path)).mode & 0o777).toBe(0o600)
    expect((await fs.stat(join(path, '..'))).mode & 0o777).toBe(0o700)
    const doc = JSON.parse(await fs.readFile(path, 'utf8'))
    expect(doc).toMatchObject({ format: 'deribit-session-store', version: 1 })
    // No temp or lock file is left behind by a completed write.
    expect((await fs.readdir(join(path, '..'))).sort()).toEqual(['sessions.json'])
  })

  it('keeps tokens out of an encrypted file and reads it back with the key', async () => {
    const { path, store } = fresh({ encryptionKey: KEY })
    const ctx = sampleContext()
    await store.upsert(toStoredSession(ctx, { clientId: 'k' }), undefined)
    const text = await fs.readFile(path, 'utf8')
    expect(text).not.toContain(ctx.refreshToken)
    expect(text).not.toContain(ctx.sessionName)
    expect(JSON.parse(text).encrypted).toMatch(/^ey/)
    const other = open(path, { encryptionKey: KEY.toString('base64') })
    expect((await other.get(ctx.id))?.context.refreshToken).toBe(ctx.refreshToken)
  })

  it.each([
    ['not JSON', 'hello\n'],
    ['empty', ''],
    ['foreign JSON', '{"name":"my-app","version":"1.0.0"}'],
    ['a newer version', '{"format":"deribit-session-store","version":2,"sessions":{},"revocations":{}}'],
    ['a malformed session', '{"format":"deribit-session-store","version":1,"sessions":{"x":{"v":1}},"revocations":{}}'],
  ])('refuses %s with STORE_CORRUPT and never overwrites it', async (_what, content) => {
    const { path, store } = fresh()
    await fs.mkdir(join(path, '..'), { recursive: true })
    await fs.writeFile(path, content)
    expect(await codeOf(store.get('x'))).toBe('STORE_CORRUPT')
    expect(await codeOf(store.getAll())).toBe('STORE_CORRUPT')
    expect(await codeOf(store.upsert(toStoredSession(sampleContext(), { clientId: 'k' }), undefined))).toBe(
      'STORE_CORRUPT',
    )
    expect(await codeOf(store.revoke('x', 10))).toBe('STORE_CORRUPT')
    expect(await codeOf(store.deleteAll())).toBe('STORE_CORRUPT')
    expect(await fs.readFile(path, 'utf8')).toBe(content)
    const err = await store.get('x').catch((e: unknown) => e)
    expect(String(err)).toContain(path)
  })

  it('refuses a wrong key, a missing key, a key on a plain file and a tampered file with STORE_KEY', async () => {
    const { path, store } = fresh({ encryptionKey: KEY })
    const ctx = sampleContext()
    await store.upsert(toStoredSession(ctx, { clientId: 'k' }), undefined)
    const original = await fs.readFile(path, 'utf8')

    const wrong = open(path, { encryptionKey: randomBytes(32) })
    expect(await codeOf(wrong.get(ctx.id))).toBe('STORE_KEY')
    expect(await codeOf(wrong.upsert(toStoredSession(sampleContext(), { clientId: 'k' }), undefined))).toBe('STORE_KEY')
    const message = String(await wrong.get(ctx.id).catch((e: unknown) => e))
    expect(message).toMatch(/key is wrong or the record was tampered with/)
    expect(await codeOf(open(path).get(ctx.id))).toBe('STORE_KEY')

    const doc = JSON.parse(original)
    const parts = (doc.encrypted as string).split('.')
    const body = parts[3] as string
    parts[3] = (body[0] === 'A' ? 'B' : 'A') + body.slice(1)
    const tampered = JSON.stringify({ ...doc, encrypted: parts.join('.') })
    await fs.writeFile(path, tampered)
    expect(await codeOf(store.get(ctx.id))).toBe('STORE_KEY')
    expect(await codeOf(store.revoke('x', 1))).toBe('STORE_KEY')
    expect(await fs.readFile(path, 'utf8')).toBe(tampered)

    const plain = fresh()
    await plain.store.upsert(toStoredSession(sampleContext(), { clientId: 'k' }), undefined)
    expect(await codeOf(open(plain.path, { encryptionKey: KEY }).getAll())).toBe('STORE_KEY')
  })

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new FileSessionStore({ path: join(root, 'x.json'), encryptionKey: randomBytes(16) })).toThrow(
      /32 bytes/,
    )
  })

  it('ignores a temp file left by a crash before rename and keeps the old data', async () => {
    const { path, store } = fresh()
    const ctx = sampleContext()
    await store.upsert(toStoredSession(ctx, { clientId: 'k' }), undefined)
    await fs.writeFile(join(path, '..', `.sessions.json.99999.deadbeef.tmp`), '{"format":"deribit-session-store"')
    const reopened = open(path)
    expect((await reopened.get(ctx.id))?.context.lockVersion).toBe(1)
    expect((await reopened.upsert(toStoredSession(ctx, { clientId: 'k' }), 1)).context.lockVersion).toBe(2)
  })

  it('takes over a lock left by a dead process, and times out on a live one', async () => {
    const { path, store } = fresh()
    await fs.mkdir(join(path, '..'), { recursive: true })
    // pid 2^22+1 is above Linux's pid_max: certainly not running.
    await fs.writeFile(`${path}.lock`, JSON.stringify({ pid: 4_194_305, host: (await import('node:os')).hostname() }))
    await store.upsert(toStoredSession(sampleContext(), { clientId: 'k' }), undefined)
    await fs.writeFile(`${path}.lock`, JSON.stringify({ pid: process.pid, host: (await import('node:os')).hostname() }))
    const impatient = new FileSessionStore({ path, lockTimeoutMs: 100 })
    stores.push(impatient)
    expect(await codeOf(impatient.deleteAll())).toBe('STORE_UNAVAILABLE')
    await fs.rm(`${path}.lock`)
  })

  it('takes over an ownerless lock (as older versions could leave) after a second, not after staleLockMs', async () => {
    const { path, store } = fresh()
    await fs.mkdir(join(path, '..'), { recursive: true })
    await fs.writeFile(`${path}.lock`, '')
    const past = new Date(Date.now() - 1_500)
    await fs.utimes(`${path}.lock`, past, past)
    const started = Date.now()
    await store.upsert(toStoredSession(sampleContext(), { clientId: 'k' }), undefined)
    expect(Date.now() - started).toBeLessThan(1_000)
    // A fresh ownerless lock is respected for its grace (its owner may be writing into it).
    await fs.writeFile(`${path}.lock`, '')
    const impatient = new FileSessionStore({ path, lockTimeoutMs: 200 })
    stores.push(impatient)
    expect(await codeOf(impatient.deleteAll())).toBe('STORE_UNAVAILABLE')
    await fs.rm(`${path}.lock`)
  })
})
