/**
 * The packed tarball as a user gets it: `npm pack`, installed into a fresh project, compiled by a
 * strict consumer under both module resolutions (without skipLibCheck) and run, as ESM and through
 * require(). Offline: the tarball is unpacked into the consumer's node_modules and its dependencies
 * (exactly those its package.json lists) are linked from this repository's node_modules.
 */
import { execFile } from 'node:child_process'
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cleanEnv, ROOT } from '../cli/cliProcess.js'

const run = promisify(execFile)
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc')
const FIXTURE = join(ROOT, 'test/package/consumer')

let dir = ''
let consumer = ''
let installed = ''
let packedFiles: string[] = []

/** Links `name` from this repository's node_modules into the consumer's, as npm would install it. */
async function linkDependency(name: string): Promise<void> {
  const target = join(consumer, 'node_modules', name)
  await mkdir(join(target, '..'), { recursive: true })
  await symlink(join(ROOT, 'node_modules', name), target, 'dir')
}

/** Runs `node args` in the consumer project; resolves with stdout, rejects with stderr. */
async function node(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const { stdout } = await run(process.execPath, args, { cwd: consumer, env, timeout: 20_000 })
  return stdout
}

/** Compiles the consumer with one of its tsconfig files; rejects with tsc's diagnostics. */
async function tsc(project: string): Promise<void> {
  try {
    await run(process.execPath, [TSC, '-p', project], { cwd: consumer, timeout: 120_000 })
  } catch (error) {
    throw new Error(`tsc -p ${project} failed:\n${(error as { stdout?: string }).stdout ?? String(error)}`)
  }
}

/** Every declaration file the given entry declarations import, transitively (relative imports), with its text. */
async function reachableDeclarations(entries: string[]): Promise<Map<string, string>> {
  const reached = new Map<string, string>()
  const pending = entries.map((entry) => join(installed, entry))
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    if (reached.has(path)) continue
    const text = await readFile(path, 'utf8')
    reached.set(path, text)
    for (const [, spec] of text.matchAll(/(?:from|import\()\s*['"](\.[^'"]+)['"]/g)) {
      pending.push(join(dirname(path), (spec as string).replace(/\.js$/, '.d.ts')))
    }
  }
  return reached
}

let nodenextBuild: Promise<void> | undefined
/** The consumer compiled (and emitted to out/) under nodenext, once for every test that runs it. */
function compiledNodenext(): Promise<void> {
  nodenextBuild ??= tsc('tsconfig.nodenext.json')
  return nodenextBuild
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'deribit-consumer-'))
  // `npm pack` runs the `prepare` script, so the tarball holds a fresh build: a full tsc run, which
  // takes well over a minute on two cores busy with the rest of the suite.
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: ROOT, timeout: 150_000 })
  const [packed] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
  if (!packed) throw new Error('npm pack reported no tarball')
  packedFiles = packed.files.map((file) => file.path)

  consumer = join(dir, 'consumer')
  installed = join(consumer, 'node_modules/deribit-session')
  await cp(FIXTURE, consumer, { recursive: true })
  await mkdir(installed, { recursive: true })
  await run('tar', ['-xzf', join(dir, packed.filename), '-C', installed, '--strip-components=1'])
  const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>
  }
  for (const name of Object.keys(manifest.dependencies)) await linkDependency(name)
  // The consumer's own dev dependency, as in any TypeScript project on Node.
  if (!manifest.dependencies['@types/node']) await linkDependency('@types/node')
}, 180_000)

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('the packed tarball', () => {
  it('ships the license, the build and the README, and no source maps pointing at unshipped sources', () => {
    expect(packedFiles).toContain('LICENSE')
    expect(packedFiles).toContain('README.md')
    expect(packedFiles).toContain('dist/index.d.ts')
    expect(packedFiles).toContain('dist/stores/redis.js')
    expect(packedFiles.filter((path) => path.endsWith('.map'))).toEqual([])
    expect(packedFiles.filter((path) => path.startsWith('src/') || path.startsWith('test/'))).toEqual([])
  })

  it('compiles in a strict consumer (skipLibCheck false) under moduleResolution nodenext, without ioredis', async () => {
    await compiledNodenext()
  }, 120_000)

  it('needs no @types/ws: no declaration an entry point reaches imports ws, and ws types are not a dependency', async () => {
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>
      exports: Record<string, { types?: string }>
    }
    expect(Object.keys(manifest.dependencies)).not.toContain('@types/ws')
    const reached = await reachableDeclarations(Object.values(manifest.exports).flatMap((entry) => entry.types ?? []))
    expect(reached.size).toBeGreaterThan(50)
    const importingWs: string[] = []
    for (const [path, text] of reached)
      if (/^(?:import|export)\b[^\n]*['"]ws['"]|import\(['"]ws['"]\)/m.test(text)) importingWs.push(path)
    expect(importingWs).toEqual([])
  })

  it('runs as ESM, and the main entry loads neither session store nor ioredis', { timeout: 120_000 }, async () => {
    await compiledNodenext()
    const log = join(dir, 'modules.log')
    const out = await node(['--import', './moduleLog.mjs', 'out/main.js'], { ...process.env, MODULE_LOG: log })
    expect(JSON.parse(out)).toEqual({ time: 'number', error: 'function' })
    const modules = (await readFile(log, 'utf8')).trim().split('\n')
    expect(modules).toContainEqual(expect.stringContaining('/node_modules/deribit-session/dist/index.js'))
    expect(modules.filter((url) => /ioredis|\/deribit-session\/dist\/(session\/)?stores\//.test(url))).toEqual([])
  })

  it('loads through require() (Node 20.19+)', { timeout: 120_000 }, async () => {
    await compiledNodenext()
    expect(JSON.parse(await node(['out/require.cjs']))).toEqual({ client: true, backoff: 'number' })
    const inline = "const { DeribitClient } = require('deribit-session'); console.log(typeof DeribitClient)"
    expect((await node(['--input-type=commonjs', '-e', inline])).trim()).toBe('function')
  })

  it('runs the file store without ioredis installed', { timeout: 120_000 }, async () => {
    await compiledNodenext()
    expect(JSON.parse(await node(['out/stores.js']))).toEqual({ sessions: 0 })
    expect(await readdir(join(consumer, 'node_modules'))).not.toContain('ioredis')
  })

  it("runs the package's CLI: --version from the installed manifest, and a call on the embedded simulator", {
    timeout: 120_000,
  }, async () => {
    const manifest = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as {
      version: string
      bin: Record<string, string>
    }
    const bin = join(installed, manifest.bin['deribit-session'] ?? 'missing')
    expect((await node([bin, '--version'])).trim()).toBe(manifest.version)
    expect(typeof JSON.parse(await node([bin, 'call', 'public/get_time'], cleanEnv()))).toBe('number')
  })

  it('needs ioredis only for the Redis store, which then compiles (moduleResolution bundler) and loads', async () => {
    const importRedis = [
      '--input-type=module',
      '-e',
      "const m = await import('deribit-session/stores/redis'); console.log(typeof m.RedisSessionStore)",
    ]
    await expect(node(importRedis)).rejects.toThrow(/Cannot find package 'ioredis'/)
    await linkDependency('ioredis')
    await tsc('tsconfig.bundler.json')
    expect((await node(importRedis)).trim()).toBe('function')
  }, 120_000)
})
