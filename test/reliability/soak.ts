/**
 * `npm run soak` (not part of `npm test`): thousands of reconnect and transition cycles under
 * traffic, sampling the client process's heap (after a forced GC), active handles and listener
 * counts; prints a small report and exits non-zero when they grow beyond a threshold.
 *
 *   npm run soak -- --cycles 2000 --minutes 3 --max-kb-per-cycle 2 --max-handle-growth 2
 *
 * The exchange runs in a child process (soakSimulator.ts) so its own history does not count; the
 * fault proxy runs here, between the client and it.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { once } from 'node:events'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { DeribitClient } from '../../src/client.js'
import type { DeribitError } from '../../src/errors.js'
import { startFaultProxy } from '../support/faultProxy.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

interface Options {
  cycles: number
  minutes: number
  maxKbPerCycle: number
  maxHandleGrowth: number
}

function parseArgs(argv: string[]): Options {
  const options: Options = { cycles: 2000, minutes: 3, maxKbPerCycle: 2, maxHandleGrowth: 2 }
  for (let i = 0; i < argv.length; i += 2) {
    const value = Number(argv[i + 1])
    if (!Number.isFinite(value)) throw new Error(`${argv[i]} needs a number`)
    switch (argv[i]) {
      case '--cycles':
        options.cycles = value
        break
      case '--minutes':
        options.minutes = value
        break
      case '--max-kb-per-cycle':
        options.maxKbPerCycle = value
        break
      case '--max-handle-growth':
        options.maxHandleGrowth = value
        break
      default:
        throw new Error(`unknown flag ${argv[i]} (--cycles, --minutes, --max-kb-per-cycle, --max-handle-growth)`)
    }
  }
  return options
}

interface Sample {
  cycle: number
  heapBytes: number
  handles: number
  timers: number
  listeners: number
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitReady(client: DeribitClient, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (client.state !== 'ready') {
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms (state ${client.state})`)
    await sleep(2)
  }
}

function sample(cycle: number, client: DeribitClient): Sample {
  gc()
  const events = ['state', 'transition', 'resubscribed', 'order', 'gap', 'revoked', 'error'] as const
  return {
    cycle,
    heapBytes: process.memoryUsage().heapUsed,
    handles: process.getActiveResourcesInfo().filter((t) => t !== 'Timeout').length,
    timers: process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length,
    listeners: events.reduce((n, e) => n + client.listenerCount(e), 0),
  }
}

/** Least-squares slope of heap bytes per cycle. */
function slope(samples: Sample[]): number {
  const n = samples.length
  if (n < 2) return 0
  const mx = samples.reduce((s, p) => s + p.cycle, 0) / n
  const my = samples.reduce((s, p) => s + p.heapBytes, 0) / n
  let num = 0
  let den = 0
  for (const p of samples) {
    num += (p.cycle - mx) * (p.heapBytes - my)
    den += (p.cycle - mx) ** 2
  }
  return den === 0 ? 0 : num / den
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2))
  const child: ChildProcess = fork(new URL('./soakSimulator.ts', import.meta.url).pathname, [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const [info] = (await once(child, 'message')) as [
    { port: number; clientId: string; clientSecret: string; mainAccountId: number; subaccountIds: number[] },
  ]
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: info.port } })
  const warnings: string[] = []
  process.on('warning', (w) => warnings.push(`${w.name}: ${w.message}`))
  const client = new DeribitClient({
    url: proxy.url('/ws/api/v2'),
    credentials: { clientId: info.clientId, clientSecret: info.clientSecret },
    sessionName: 'soak',
    heartbeatIntervalSec: 1,
    requestTimeoutMs: 2000,
    reconnect: { initialDelayMs: 1, maxDelayMs: 10, jitter: 0 },
    rateLimit: {
      pools: {
        default: { maxCredits: 1e9, refillPerSecond: 1e9 },
        subscribe: { maxCredits: 1e9, refillPerSecond: 1e9 },
        matchingEngine: { maxCredits: 1e9, refillPerSecond: 1e9 },
      },
    },
  })
  const subA = info.subaccountIds[0] as number
  const errors = new Map<string, number>()
  const count = (error: unknown) => {
    const code = (error as DeribitError | undefined)?.code ?? (error instanceof Error ? error.message : String(error))
    errors.set(code, (errors.get(code) ?? 0) + 1)
  }
  let delivered = 0
  await client.subscribe(['ticker.BTC-PERPETUAL.100ms', 'book.BTC-PERPETUAL.100ms', 'user.orders.any.any.raw'], () => {
    delivered++
  })
  await client.connect()

  const samples: Sample[] = []
  const started = Date.now()
  const deadline = started + options.minutes * 60_000
  const every = Math.max(10, Math.floor(options.cycles / 40))
  let onSub = false
  let cycle = 0
  for (; cycle < options.cycles && Date.now() < deadline; cycle++) {
    if (cycle % every === 0) samples.push(sample(cycle, client))
    try {
      switch (cycle % 8) {
        case 0:
          proxy.reset()
          await sleep(5)
          break
        case 1:
          child.send('drop')
          await sleep(5)
          break
        case 2:
          await client.refreshToken()
          break
        case 3:
          await client.exchangeToken(onSub ? info.mainAccountId : subA)
          onSub = !onSub
          break
        case 4:
          await client.forkToken(`soak-${cycle % 5}`)
          break
        case 5: {
          const sub = await client.subscribe('trades.BTC-PERPETUAL.100ms')
          await sub.unsubscribe()
          break
        }
        case 6: {
          const { order } = await client.buy({
            instrument_name: 'BTC-PERPETUAL',
            amount: 10,
            type: 'limit',
            price: 1000,
            label: `soak-${cycle}`,
          })
          await client.cancel(order.order_id)
          break
        }
        case 7:
          proxy.halfOpen()
          await sleep(20)
          await proxy.heal()
          break
      }
      await waitReady(client, 10_000)
    } catch (error) {
      count(error)
      await waitReady(client, 10_000).catch(count)
    }
  }
  samples.push(sample(cycle, client))
  const seconds = (Date.now() - started) / 1000
  await client.close()
  await proxy.close()
  child.send('stop')
  await once(child, 'exit')

  // Growth after warm-up (the first quarter fills caches, pools and JIT state).
  const steady = samples.slice(Math.floor(samples.length / 4))
  const first = steady[0] as Sample
  const last = samples.at(-1) as Sample
  const kbPerCycle = slope(steady) / 1024
  const handleGrowth = last.handles - first.handles
  // Timers come and go with requests in flight; a leak shows as steady growth well past that noise.
  const timerGrowth = last.timers - first.timers
  const listenerGrowth = last.listeners - first.listeners
  const mb = (b: number) => (b / 1024 / 1024).toFixed(1)
  const failures: string[] = []
  if (kbPerCycle > options.maxKbPerCycle)
    failures.push(`heap grows ${kbPerCycle.toFixed(2)} kB/cycle > ${options.maxKbPerCycle}`)
  if (handleGrowth > options.maxHandleGrowth)
    failures.push(`handles grew by ${handleGrowth} > ${options.maxHandleGrowth}`)
  if (timerGrowth > 5 + options.maxHandleGrowth) failures.push(`live timers grew by ${timerGrowth}`)
  if (listenerGrowth > 0) failures.push(`client listeners grew by ${listenerGrowth}`)
  if (warnings.length > 0) failures.push(`process warnings: ${warnings.join('; ')}`)
  if (cycle < Math.min(options.cycles, 100)) failures.push(`only ${cycle} cycles ran`)

  console.log(
    [
      'soak report',
      `  cycles            ${cycle} in ${seconds.toFixed(1)} s (${(cycle / seconds).toFixed(1)}/s)`,
      `  notifications     ${delivered}`,
      `  heap (after GC)   ${mb(first.heapBytes)} MB after warm-up -> ${mb(last.heapBytes)} MB; slope ${kbPerCycle.toFixed(3)} kB/cycle`,
      `  handles           ${first.handles} -> ${last.handles} (timers ${first.timers} -> ${last.timers})`,
      `  client listeners  ${first.listeners} -> ${last.listeners}`,
      `  errors            ${errors.size === 0 ? 'none' : [...errors].map(([c, n]) => `${c}×${n}`).join(', ')}`,
      `  verdict           ${failures.length === 0 ? 'OK' : `FAIL: ${failures.join('; ')}`}`,
    ].join('\n'),
  )
  return failures.length === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('soak crashed:', error)
    process.exit(2)
  },
)
