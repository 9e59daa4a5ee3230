/**
 * Two bot processes sharing one named session through Redis.
 *
 *   npx tsx examples/multi-process.ts            # embedded simulator + a local redis-server
 *   REDIS_URL=redis://host:6379 npx tsx examples/multi-process.ts
 *
 * What it shows:
 * - the second process resumes the session the first one stored (no second login);
 * - both refresh at the same moment, and only one refresh reaches the exchange: the other
 *   process adopts the winner's tokens instead of spending the same refresh token again;
 * - an operator revokes the session in Redis and both processes log out and stop within a second.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import { DeribitClient } from 'deribit-session'
import { startSimulator } from 'deribit-session/simulator'
import { RedisSessionStore } from 'deribit-session/stores/redis'

const SESSION = 'fleet'

if (process.argv[2] === 'worker') await worker(JSON.parse(process.argv[3] ?? '{}') as WorkerConfig)
else process.exitCode = await main()

interface WorkerConfig {
  name: string
  url: string
  clientId: string
  clientSecret: string
  redisUrl: string
}

/** One bot: resume (or create) the shared session, then obey `refresh` / `exit` lines on stdin. */
async function worker(config: WorkerConfig): Promise<void> {
  const say = (text: string) => process.stdout.write(`${JSON.stringify({ worker: config.name, text })}\n`)
  const store = new RedisSessionStore({ redis: redisOptions(config.redisUrl) })
  const client = new DeribitClient({
    url: config.url,
    credentials: { clientId: config.clientId, clientSecret: config.clientSecret },
    sessionName: SESSION,
    store,
  })
  const commands = createInterface({ input: process.stdin })
  client.on('revoked', () => {
    say('revoked: logging out and stopping')
    commands.close()
  })
  await client.connect()
  say(`connected on session ${client.session?.id.slice(0, 8)} (transition ${client.session?.transition})`)
  for await (const line of commands) {
    if (client.state === 'closed') break
    if (line === 'refresh') {
      await client.refreshToken()
      const summary = await client.call('private/get_account_summary', { currency: 'BTC' })
      say(`refreshed; still trading as account ${summary.id}`)
    }
    if (line === 'exit') break
  }
  await client.close()
  await store.close()
}

async function main(): Promise<number> {
  await using sim = await startSimulator()
  const account = sim.createAccount()
  const redis = await redisFor()
  try {
    // A first deployment stores the session; the workers resume it.
    const store = new RedisSessionStore({ redis: redisOptions(redis.url) })
    const first = new DeribitClient({
      url: sim.url,
      credentials: { clientId: account.clientId, clientSecret: account.clientSecret },
      sessionName: SESSION,
      store,
    })
    await first.connect()
    await first.close()

    const config = { url: sim.url, clientId: account.clientId, clientSecret: account.clientSecret, redisUrl: redis.url }
    const workers = ['A', 'B'].map((name) => spawnWorker({ ...config, name }))
    await Promise.all(workers.map((w) => w.waitFor('connected')))
    const signatures = sim.stats.authByGrant.client_signature

    const before = sim.stats.authByGrant.refresh_token
    for (const w of workers) w.send('refresh')
    await Promise.all(workers.map((w) => w.waitFor('refreshed')))
    const refreshes = sim.stats.authByGrant.refresh_token - before
    console.log(`both workers refreshed at once; refreshes that reached the exchange: ${refreshes}`)

    await store.revoke(SESSION, 60)
    await Promise.all(workers.map((w) => w.waitFor('revoked')))
    await Promise.all(workers.map((w) => w.exited))
    await store.close()

    const ok = signatures === 1 && refreshes === 1 && sim.stats.authFailures === 0
    console.log(ok ? 'OK: one login, one refresh, no token spent twice, revocation reached both' : 'FAILED')
    return ok ? 0 : 1
  } finally {
    await redis.stop()
  }
}

function spawnWorker(config: WorkerConfig) {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', new URL(import.meta.url).pathname, 'worker', JSON.stringify(config)],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const seen: string[] = []
  const waiters: Array<() => void> = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    console.log(`  ${line}`)
    seen.push(line)
    for (const wake of waiters.splice(0)) wake()
  })
  const waitFor = async (text: string) => {
    while (!seen.some((l) => l.includes(text))) await new Promise<void>((resolve) => waiters.push(resolve))
  }
  return { send: (line: string) => child.stdin!.write(`${line}\n`), waitFor, exited: once(child, 'exit') }
}

/** ioredis options from a `redis://[:password@]host:port` URL. */
function redisOptions(url: string) {
  const parsed = new URL(url)
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  }
}

/** REDIS_URL when given; otherwise a throwaway redis-server on a free loopback port. */
async function redisFor(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} }
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const port = (probe.address() as { port: number }).port
  probe.close()
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  )
  const failed = once(server, 'error').then(([error]) => {
    throw new Error(`redis-server could not start (${String(error)}); set REDIS_URL or install redis-server`)
  })
  const url = `redis://127.0.0.1:${port}`
  const probeStore = async () => {
    for (let i = 0; i < 100; i++) {
      const store = new RedisSessionStore({ redis: redisOptions(url) })
      try {
        await store.isRevoked('probe')
        return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50))
      } finally {
        await store.close()
      }
    }
    throw new Error('redis-server did not answer')
  }
  await Promise.race([probeStore(), failed])
  return {
    url,
    stop: async () => {
      server.kill('SIGTERM')
      await once(server, 'exit')
    },
  }
}
