/**
 * The latency section's exchange side: a simulator (credit limits on) behind the reliability
 * tests' latency proxy, in a worker thread of its own. Deribit does not run on the bot's event
 * loop: in one thread the simulator's own work (about 40 ms to take 10,000 subscriptions) and the
 * blind-window poll were counted against the SDK. The bench drives it through
 * {@link startRemoteExchange}; times cross the thread boundary as wall-clock milliseconds
 * (`performance.timeOrigin + performance.now()`), which both threads share.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import type { CreatedAccount, SimulatorOptions } from '../src/simulator/index.js'

/** What the worker is started with. */
interface ExchangeSetup {
  sim: SimulatorOptions
  /** One-way delay of the proxy, ms (half the round trip). */
  oneWayMs: number
}

type Command =
  | { op: 'createAccount'; subaccounts: number }
  | { op: 'drop'; wanted: string[]; rttMs: number }
  | { op: 'blind' }
  | { op: 'ping'; count: number }
  | { op: 'refuse'; on: boolean }
  | { op: 'reset' }

/** The exchange as the bench sees it. */
export interface RemoteExchange extends AsyncDisposable {
  /** Where the client connects (through the proxy). */
  url: string
  httpUrl: string
  createAccount(subaccounts: number): Promise<CreatedAccount>
  /**
   * Drops every connection; resolves with the moment it did (wall clock, ms). Until the next
   * drop, the worker watches for the next connection to hold every `wanted` channel.
   */
  drop(wanted: readonly string[], rttMs: number): Promise<number>
  /** Since the last drop, ms until the exchange held every wanted channel, plus half a round trip. */
  blind(): Promise<number>
  /** Median of `count` `public/test` round trips of a bare socket through the proxy, ms. */
  ping(count: number): Promise<number>
  refuse(on: boolean): Promise<void>
  reset(): Promise<void>
}

/** Wall-clock ms with sub-millisecond resolution, comparable across threads. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now()
}

/** Starts the exchange side in a worker thread. */
export async function startRemoteExchange(setup: ExchangeSetup): Promise<RemoteExchange> {
  // The worker loads this TypeScript file itself: it registers tsx first (Node 20 workers do not
  // inherit the loader the bench's own process runs under).
  const boot = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}) })`
  const worker = new Worker(boot, { eval: true, workerData: setup })
  let nextId = 0
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>()
  const failAll = (error: Error) => {
    for (const w of waiting.values()) w.reject(error)
    waiting.clear()
  }
  worker.on('message', (message: { id: number; value?: unknown; error?: string }) => {
    const w = waiting.get(message.id)
    waiting.delete(message.id)
    if (message.error !== undefined) w?.reject(new Error(message.error))
    else w?.resolve(message.value)
  })
  worker.on('error', failAll)
  worker.on('exit', () => failAll(new Error('exchange worker exited')))
  const send = <T>(command: Command | { op: 'start' }): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject })
      worker.postMessage({ id, command })
    })
  const { url, httpUrl } = await send<{ url: string; httpUrl: string }>({ op: 'start' })
  return {
    url,
    httpUrl,
    createAccount: (subaccounts) => send({ op: 'createAccount', subaccounts }),
    drop: (wanted, rttMs) => send({ op: 'drop', wanted: [...wanted], rttMs }),
    blind: () => send({ op: 'blind' }),
    ping: (count) => send({ op: 'ping', count }),
    refuse: (on) => send({ op: 'refuse', on }),
    reset: () => send({ op: 'reset' }),
    async [Symbol.asyncDispose]() {
      await worker.terminate()
    },
  }
}

async function serve(setup: ExchangeSetup): Promise<void> {
  const { startSimulator } = await import('../src/simulator/index.js')
  const { startFaultProxy } = await import('../test/support/faultProxy.js')
  const { default: WebSocket } = await import('ws')
  const sim = await startSimulator(setup.sim)
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: sim.port } })
  proxy.latency({ ms: setup.oneWayMs })
  const url = proxy.url(new URL(sim.url).pathname)
  let blind: Promise<number> = Promise.resolve(Number.NaN)
  const run = async (command: Command | { op: 'start' }): Promise<unknown> => {
    switch (command.op) {
      case 'start':
        return { url, httpUrl: sim.httpUrl }
      case 'createAccount':
        return sim.createAccount({ subaccounts: command.subaccounts })
      case 'drop': {
        const before = sim.log.connections().length
        const droppedAt = wallNow()
        sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
        blind = new Promise<number>((resolve) => {
          const poll = setInterval(() => {
            const next = sim.log.connections()[before]
            if (next === undefined) return
            // Counted first: building a set of 10,000 names every millisecond took the exchange
            // thread's time from the subscribes it was timing.
            const held = sim.subscriptionsOf(next.id)
            if (held.length < command.wanted.length) return
            const on = new Set(held)
            if (!command.wanted.every((c) => on.has(c))) return
            clearInterval(poll)
            resolve(wallNow() - droppedAt + command.rttMs / 2)
          }, 1)
        })
        return droppedAt
      }
      case 'blind':
        return await blind
      case 'ping': {
        const ws = new WebSocket(url, { perMessageDeflate: false })
        await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject))
        const times: number[] = []
        for (let i = 0; i < command.count; i++) {
          const started = performance.now()
          ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'public/test' }))
          await new Promise((resolve) => ws.once('message', resolve))
          times.push(performance.now() - started)
        }
        ws.close()
        times.sort((a, b) => a - b)
        return times[Math.floor(times.length / 2)]
      }
      case 'refuse':
        await proxy.refuse(command.on)
        return undefined
      case 'reset':
        proxy.reset()
        return undefined
    }
  }
  parentPort?.on('message', (message: { id: number; command: Command }) => {
    run(message.command).then(
      (value) => parentPort?.postMessage({ id: message.id, value }),
      (error: unknown) => parentPort?.postMessage({ id: message.id, error: String(error) }),
    )
  })
}

if (!isMainThread && parentPort !== null) await serve(workerData as ExchangeSetup)
