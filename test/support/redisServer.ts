/**
 * A throwaway redis-server for tests: free loopback port, no persistence unless asked, stopped
 * (and awaited) after. When redis-server is not installed the Redis tests are skipped with a
 * printed notice — except in CI (`CI=true`), where {@link registerRedisRequirement} makes them fail.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createConnection, createServer } from 'node:net'
import { it } from 'vitest'

/** True when `binary --version` runs (the binary is on PATH). */
export function binaryAvailable(binary: string): boolean {
  const probe = spawnSync(binary, ['--version'], { stdio: 'ignore' })
  return probe.error === undefined && probe.status === 0
}

/** True when a redis-server binary is on PATH. */
export const REDIS_SERVER_AVAILABLE: boolean = binaryAvailable('redis-server')

const IN_CI = process.env.CI === 'true'

/**
 * Call once at the top of a Redis test file; `also` names further binaries it needs
 * (`redis-cli`, `redis-sentinel`). When one is missing: in CI it registers a failing test that
 * says what is missing; elsewhere it prints a notice (the suites then skip through
 * `describe.runIf(...)` on the returned value). Returns true when everything is there.
 */
export function registerRedisRequirement(file: string, also: readonly string[] = []): boolean {
  const missing = ['redis-server', ...also].filter((b) =>
    b === 'redis-server' ? !REDIS_SERVER_AVAILABLE : !binaryAvailable(b),
  )
  if (missing.length === 0) return true
  const what = missing.join(', ')
  if (IN_CI) {
    it(`needs ${what} (CI=true: Redis tests must run)`, () => {
      throw new Error(`${what} not installed or not on PATH; CI must run the Redis tests (see .ci/run's apt-get line)`)
    })
  } else {
    console.warn(`[${file}] ${what} not found on PATH: Redis tests SKIPPED (install them to run them)`)
  }
  return false
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Reuse a port (restarting a server). @default a free port */
  port?: number
  /** Persist with an fsync'd append-only file in this directory, so a restart keeps the data. @default no persistence */
  persistDir?: string
  /** More command-line settings (`['--replicaof', '127.0.0.1', '6380']`). @default none */
  args?: readonly string[]
  /** A config file to start from (needed by sentinels, which rewrite it). @default none */
  configFile?: string
  /** The binary. @default 'redis-server' */
  binary?: string
}

/** A running redis-server. */
export interface RedisServer {
  readonly port: number
  readonly pid: number
  /** SIGKILL (a crash) or SIGTERM, then wait for the process to be gone. Idempotent. */
  stop(signal?: NodeJS.Signals): Promise<void>
}

/** A TCP port nobody listens on right now (bind port 0, read it, release it). */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.on('error', () => done(false))
    socket.on('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

/** Starts redis-server on 127.0.0.1 and resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort())
  const args = [...(options.configFile === undefined ? [] : [options.configFile])]
  args.push('--port', String(port), '--bind', '127.0.0.1', '--save', '')
  if (options.persistDir === undefined) args.push('--appendonly', 'no')
  else args.push('--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.persistDir)
  args.push(...(options.args ?? []))
  const binary = options.binary ?? 'redis-server'
  const child: ChildProcess = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-4_000)
  })
  child.stderr?.on('data', (c: Buffer) => {
    output = (output + c.toString()).slice(-4_000)
  })
  let exited = false
  const exit = once(child, 'exit').then(() => {
    exited = true
  })
  const deadline = Date.now() + 5_000
  while (!(await ping(port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL')
      await exit
      throw new Error(`${binary} did not start on port ${port}:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  return {
    port,
    pid: child.pid as number,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!exited) child.kill(signal)
      await exit
    },
  }
}
