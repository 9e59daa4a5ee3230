import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileSessionStore } from '../../src/stores/file.js'
import { cleanEnv, runCli } from './cliProcess.js'

const KEY = Buffer.alloc(32, 7).toString('base64')
const WRONG_KEY = Buffer.alloc(32, 8).toString('base64')

describe('deribit-session sessions: store errors in terms of the environment', () => {
  let dir: string
  let encrypted: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deribit-cli-store-errors-'))
    encrypted = join(dir, 'encrypted.json')
    const store = new FileSessionStore({ path: encrypted, encryptionKey: KEY })
    await store.revoke('old-bot', 3600) // writes the (encrypted) file
    await store.close()
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  it('opens an encrypted store with DERIBIT_STORE_KEY', async () => {
    const run = await runCli(['sessions', 'list', '--store', `file:${encrypted}`], cleanEnv({ DERIBIT_STORE_KEY: KEY }))
    expect(run.code).toBe(0)
  })

  it('asks for DERIBIT_STORE_KEY when the store is encrypted and it is not set', async () => {
    const run = await runCli(['sessions', 'list', '--store', `file:${encrypted}`])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('the store is encrypted: set DERIBIT_STORE_KEY to its key (32 bytes, base64)')
    expect(run.stderr).not.toContain('encryptionKey')
  })

  it('names DERIBIT_STORE_KEY when it is wrong or malformed, never showing it', async () => {
    const [wrong, short] = await Promise.all([
      runCli(['sessions', 'list', '--store', `file:${encrypted}`], cleanEnv({ DERIBIT_STORE_KEY: WRONG_KEY })),
      runCli(['sessions', 'list', '--store', `file:${encrypted}`], cleanEnv({ DERIBIT_STORE_KEY: 'c2hvcnQ=' })),
    ])
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('DERIBIT_STORE_KEY is wrong')
    expect(wrong.stderr).not.toContain(WRONG_KEY)
    expect(short.code).toBe(1)
    expect(short.stderr).toContain('DERIBIT_STORE_KEY must be 32 bytes as base64, got 5 bytes')
    for (const run of [wrong, short]) expect(run.stderr).not.toContain('encryptionKey')
  })

  it('fails (exit 1) for a store file that does not exist, for every subcommand', async () => {
    const missing = join(dir, 'no-such-dir', 'sessions.json')
    const runs = await Promise.all([
      runCli(['sessions', 'list', '--store', `file:${missing}`]),
      runCli(['sessions', 'show', 'abc', '--store', `file:${missing}`]),
      runCli(['sessions', 'revoke', 'bot', '--store', `file:${missing}`]),
    ])
    for (const run of runs) {
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(`no session store at ${missing} (no such file); check --store`)
      expect(run.stderr).not.toContain('no stored sessions')
    }
  })

  it('names DERIBIT_SESSION_STORE when the store came from it', async () => {
    const [missing, malformed] = await Promise.all([
      runCli(['sessions', 'list'], cleanEnv({ DERIBIT_SESSION_STORE: `file:${join(dir, 'nope.json')}` })),
      runCli(['sessions', 'list'], cleanEnv({ DERIBIT_SESSION_STORE: 'file:' })),
    ])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('check $DERIBIT_SESSION_STORE')
    expect(malformed.code).toBe(2)
    expect(malformed.stderr).toContain('$DERIBIT_SESSION_STORE file:PATH needs a path')
  })
})
