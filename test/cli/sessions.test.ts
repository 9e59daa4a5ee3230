import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/client.js'
import { FileSessionStore } from '../../src/session/stores/fileSessionStore.js'
import { startSimulator } from '../../src/simulator/index.js'
import { runCli } from './cliProcess.js'

describe('deribit-session sessions on a file store', () => {
  let dir: string
  let store: string
  let sessionId: string
  let tokens: string[]
  let clientId: string

  // A bot that logged in with session scope and left its session in the store.
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deribit-cli-sessions-'))
    const path = join(dir, 'sessions.json')
    store = `file:${path}`
    await using sim = await startSimulator()
    const account = sim.createAccount()
    clientId = account.clientId
    const fileStore = new FileSessionStore({ path })
    try {
      await using bot = new DeribitClient({ url: sim.url, credentials: account, sessionName: 'bot', store: fileStore })
      await bot.connect()
      const session = bot.session
      if (!session) throw new Error('no session')
      sessionId = session.id
      tokens = [session.accessToken, session.refreshToken]
      for (let i = 0; i < 100 && (await fileStore.getAll()).length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      expect(await fileStore.getAll()).toHaveLength(1)
    } finally {
      await fileStore.close()
    }
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  const noTokens = (text: string) => {
    for (const token of tokens) expect(text).not.toContain(token)
  }

  it('lists stored sessions, one line each, without tokens', async () => {
    const run = await runCli(['sessions', 'list', '--store', store])
    expect(run.code).toBe(0)
    const lines = run.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(sessionId)
    expect(lines[0]).toContain('name=bot')
    expect(lines[0]).toContain(`key=${clientId}`)
    noTokens(run.stdout + run.stderr)
  })

  it('lists as JSON and shows one session by id, without tokens', async () => {
    const [list, show, missing] = await Promise.all([
      runCli(['sessions', 'list', '--json', '--store', store]),
      runCli(['sessions', 'show', sessionId, '--store', store]),
      runCli(['sessions', 'show', 'no-such-id', '--store', store]),
    ])
    expect(list.code).toBe(0)
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ id: sessionId, sessionName: 'bot' })])
    expect(show.code).toBe(0)
    expect(JSON.parse(show.stdout)).toMatchObject({ id: sessionId, sessionName: 'bot', clientId })
    noTokens(list.stdout + show.stdout)
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain('no live session no-such-id')
  })

  it('refuses a missing store, an unknown store kind and an unknown subcommand with exit 2', async () => {
    const [noStore, kind, sub] = await Promise.all([
      runCli(['sessions', 'list']),
      runCli(['sessions', 'list', '--store', 'mongo://x']),
      runCli(['sessions', 'purge', '--store', store]),
    ])
    expect(noStore.code).toBe(2)
    expect(noStore.stderr).toContain('--store')
    expect(kind.code).toBe(2)
    expect(kind.stderr).toContain('file:PATH or redis://')
    expect(sub.code).toBe(2)
    expect(sub.stderr).toContain("unknown sessions subcommand 'purge'")
  })

  it('revokes a name: its sessions are gone and the store refuses it for --ttl', async () => {
    const run = await runCli(['sessions', 'revoke', 'bot', '--ttl', '60', '--store', store])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain("revoked session name 'bot'")
    expect(run.stdout).toContain('1 stored session(s) removed')
    const after = await runCli(['sessions', 'list', '--store', store])
    expect(after.code).toBe(0)
    expect(after.stdout).toBe('')
    const check = new FileSessionStore({ path: store.slice('file:'.length) })
    try {
      expect(await check.isRevoked('bot')).toBe(true)
    } finally {
      await check.close()
    }
  })
})
