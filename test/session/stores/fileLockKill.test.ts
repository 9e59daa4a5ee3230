import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { toStoredSession } from '../../../src/session/sessionStore.js'
import { FileSessionStore } from '../../../src/session/stores/fileSessionStore.js'
import { sampleContext } from '../storeContract.js'

const KILLS = 110
const LOCK_TIMEOUT_MS = 2_000

describe('FileSessionStore lock under SIGKILL', () => {
  let dir: string
  let bundle: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-lock-kill-'))
    bundle = join(dir, 'lockWriter.mjs')
    // Plain JS starts in tens of ms where the tsx loader takes hundreds: a hundred kills stay
    // fast. esbuild is what tsx itself runs on, so this adds no dependency.
    const { build } = await import('esbuild')
    await build({
      entryPoints: [fileURLToPath(new URL('./fixtures/lockWriter.ts', import.meta.url))],
      outfile: bundle,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
    })
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it(`leaves no lock without a live owner: ${KILLS} writers killed at random points, no other writer waits out the lock timeout`, async () => {
    const path = join(dir, 'sessions.json')
    const lockPath = `${path}.lock`
    // A writer that is never killed: every one of its writes must get the lock in time.
    const survivor = new FileSessionStore({ path, lockTimeoutMs: LOCK_TIMEOUT_MS })
    const ctx = sampleContext({ id: 'survivor', sessionName: 'survivor' })
    const lifetime = { clientId: 'k', refreshExpiresAt: Date.now() + 600_000 }
    let version = (await survivor.upsert(toStoredSession(ctx, lifetime), undefined)).context.lockVersion
    const waits: number[] = []
    const failures: string[] = []
    let killing = true
    const surviving = (async () => {
      while (killing) {
        const started = Date.now()
        try {
          version = (await survivor.upsert(toStoredSession(ctx, lifetime), version)).context.lockVersion
        } catch (error) {
          failures.push(String(error))
        }
        waits.push(Date.now() - started)
        await new Promise((resolve) => setTimeout(resolve, 2))
      }
    })()

    let leftHolding = 0
    const ownerless: string[] = []
    const killOne = async () => {
      const victim = spawn(process.execPath, [bundle, path], { stdio: ['ignore', 'pipe', 'inherit'] })
      const exited = once(victim, 'exit')
      // Into its write loop, then a random instant later: anywhere in the lock protocol.
      await once(victim.stdout, 'data')
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 12))
      victim.kill('SIGKILL')
      await exited
      const left = await readFile(lockPath, 'utf8').catch(() => undefined)
      if (left === undefined) return
      let pid: unknown
      try {
        pid = (JSON.parse(left) as { pid?: unknown }).pid
      } catch {
        pid = undefined
      }
      if (typeof pid !== 'number') ownerless.push(JSON.stringify(left))
      else if (pid === victim.pid) leftHolding++
    }
    // Two lanes: two victims at a time, killed independently.
    const lane = async (kills: number) => {
      for (let kill = 0; kill < kills; kill++) await killOne()
    }
    await Promise.all([lane(KILLS / 2), lane(KILLS / 2)])
    killing = false
    await surviving
    await survivor.close()

    // Some kills must have landed while the victim held the lock, or this proved nothing.
    expect(leftHolding).toBeGreaterThan(0)
    // Every lock found named its owner (a killed one is then taken over at once)...
    expect(ownerless).toEqual([])
    // ...and the surviving writer never failed, nor waited as long as the lock timeout.
    expect(failures).toEqual([])
    expect(Math.max(...waits)).toBeLessThan(LOCK_TIMEOUT_MS)
  }, 180_000)
})
