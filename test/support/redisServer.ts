/**
 * A throwaway redis-server for tests: free loopback port, no persistence unless asked, stopped
 * (and awaited) after. When redis-server is not installed the Redis tests are skipped with a
 * printed notice — except in CI (`CI=true`), where {@link registerRedisRequirement} makes them fail.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { once } from 'node:events'
import { createConnection, createServer } from 'node:net'
import { it } from 'vitest'

/** True when a redis-server binary is on PATH. */
export const REDIS_SERVER_AVAILABLE: boolean = (() => {
  const probe = spawnSync('redis-server', ['--version'], { stdio: 'ignore' })
  return probe.error === undefined && probe.status === 0
})()

const IN_CI = process.env.CI === 'true'

/**
 * Call once at the top of a Redis test file. Without redis-server: in CI it registers a failing
 * test that says what is missing; elsewhere it prints a notice (the suites then skip through
 * `describe.runIf(REDIS_SERVER_AVAILABLE)`).
 */
export function registerRedisRequirement(file: string): void {
  if (REDIS_SERVER_AVAILABLE) return
  if (IN_CI) {
    it('needs redis-server (CI=true: Redis tests must run)', () => {
      throw new Error(
        'redis-server is not installed or not on PATH; CI must run the Redis tests (apt-get install redis-server)',
      )
    })
  } else {
    console.warn(`[${file}] redis-server not found on PATH: Redis tests SKIPPED (install redis-server to run them)`)
  }
}

/** Options of {@link startRedisServer}. */
export interface RedisServerOptions {
  /** Reuse a port (restarting a server). @default a free port */
  port?: number
  /** Persist with an fsync'd append-only file in this directory, so a restart keeps the data. @default no persistence */
  persistDir?: string
}

/** A running redis-server. */
export interface RedisServer {
  readonly port: number
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
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '']
  if (options.persistDir === undefined) args.push('--appendonly', 'no')
  else args.push('--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.persistDir)
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] })
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
      throw new Error(`redis-server did not start on port ${port}:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  return {
    port,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (!exited) child.kill(signal)
      await exit
    },
  }
}
