/**
 * The client side of the benchmark's process protocol: waits for the orchestrator's `start`,
 * runs the asked measure, relays simulator commands through the orchestrator, and reports the
 * result with the process's peak RSS. One measure per process, so no run warms or dirties another.
 */
import type {
  BenchConfig,
  ClientMessage,
  Measure,
  SimCommand,
  SimInfo,
  SimRelayReply,
  StartMessage,
} from '../protocol.js'
import { percentile } from '../stats.js'

/** What a measure gets. */
export interface ClientContext {
  config: BenchConfig
  sim: SimInfo
  /** Sends a command to the simulator process and waits for its answer. */
  simCall<T>(command: SimCommand): Promise<T>
}

/** A measure: its result becomes part of results.json. */
export type MeasureRun = (ctx: ClientContext) => Promise<Record<string, unknown>>

let nextId = 1
const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

function send(message: ClientMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('bench clients run under bench/run.ts (they need its IPC channel)'))
      return
    }
    process.send(message, undefined, {}, (error) => (error ? reject(error) : resolve()))
  })
}

function simCall<T>(command: SimCommand): Promise<T> {
  const id = nextId++
  return new Promise<T>((resolve, reject) => {
    waiting.set(id, { resolve: resolve as (v: unknown) => void, reject })
    send({ type: 'sim', id, command }).catch(reject)
  })
}

/** Starts the client process: runs whichever of `measures` the orchestrator asks for, then exits. */
export function runClient(measures: Partial<Record<Measure, MeasureRun>>): void {
  process.on('message', (raw: unknown) => {
    const message = raw as StartMessage | SimRelayReply
    if (message.type === 'simReply') {
      const entry = waiting.get(message.reply.id)
      if (entry === undefined) return
      waiting.delete(message.reply.id)
      if (message.reply.ok) entry.resolve(message.reply.result)
      else entry.reject(new Error(message.reply.error))
      return
    }
    const run = measures[message.measure]
    const finish = (out: ClientMessage): void => {
      send(out).then(
        () => process.exit(0),
        () => process.exit(1),
      )
    }
    if (run === undefined) {
      finish({ type: 'error', error: `no ${message.measure} measure in this client` })
      return
    }
    run({ config: message.config, sim: message.sim, simCall }).then(
      (result) => finish({ type: 'result', result: { ...result, peakRssKb: process.resourceUsage().maxRSS } }),
      (error: unknown) =>
        finish({ type: 'error', error: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
    )
  })
}

/** Resolves when `done()` is true, polling every `everyMs`; rejects after `timeoutMs`. */
export function until(done: () => boolean, timeoutMs: number, what: string, everyMs = 2): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const check = (): void => {
      if (done()) resolve()
      else if (Date.now() - started > timeoutMs) reject(new Error(`timed out waiting for ${what}`))
      else setTimeout(check, everyMs)
    }
    check()
  })
}

/**
 * Resolves once `lastActivity()` (a performance.now() stamp) is older than `idleMs`: the end of a
 * stream whose length the client cannot know (ccxt coalesces what it returns).
 */
export function untilIdle(lastActivity: () => number, idleMs: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const check = (): void => {
      const now = performance.now()
      if (lastActivity() > 0 && now - lastActivity() > idleMs) resolve()
      else if (now - started > timeoutMs) reject(new Error('timed out waiting for the stream to go idle'))
      else setTimeout(check, 10)
    }
    check()
  })
}

/** Forces a full GC (the process runs with --expose-gc) and returns heapUsed in bytes. */
export function heapAfterGc(): number {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('run with node --expose-gc')
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

/** Top of the exchange's book, `[price, amount]` best first, read over the simulator's HTTP API. */
export async function exchangeTop(
  sim: { httpUrl: string },
  instrument: string,
  depth: number,
): Promise<{ bids: [number, number][]; asks: [number, number][] }> {
  const res = await fetch(`${sim.httpUrl}/api/v2/public/get_order_book?instrument_name=${instrument}&depth=${depth}`)
  const body = (await res.json()) as { result: { bids: [number, number][]; asks: [number, number][] } }
  return { bids: body.result.bids, asks: body.result.asks }
}

/** True when two top-of-book lists hold the same levels. */
export function sameLevels(
  a: readonly (readonly [number, number])[],
  b: readonly (readonly [number, number])[],
): boolean {
  return a.length === b.length && a.every(([p, q], i) => b[i]?.[0] === p && b[i]?.[1] === q)
}

/** A socket whose reading can be held: the `ws` WebSocket under each client. */
export interface Pausable {
  pause(): void
  resume(): void
}

/**
 * Runs a burst while the client's socket is not being read, then releases it: the simulator
 * writes the whole burst first (it queues what the kernel cannot hold), so the client drains
 * it as fast as it can and the simulator's own speed does not cap the client's figure.
 * Returns the burst's result, the moment reading resumed (performance.now()) and the process's
 * CPU time then (`process.cpuUsage()`: CPU time is less sensitive than wall time to other work
 * on the machine).
 */
export async function heldBurst<T>(
  socket: Pausable,
  simCall: ClientContext['simCall'],
  command: SimCommand,
): Promise<{ burst: T; t0: number; cpu0: NodeJS.CpuUsage }> {
  socket.pause()
  const burst = await simCall<T>(command)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  socket.resume()
  return { burst, t0, cpu0 }
}

/** CPU time (user + system) since `from`, in microseconds. */
export function cpuSinceUs(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from)
  return d.user + d.system
}

/**
 * The RPC measure, the same for every client: a warm-up, sequential `public/test` latencies
 * (p50/p99) and pipelined throughput with `rpcInFlight` calls in flight. Only `call` differs.
 */
export async function measureRpc(config: BenchConfig, call: () => Promise<unknown>): Promise<Record<string, unknown>> {
  for (let i = 0; i < 1_000; i++) await call()
  const lat: number[] = []
  for (let i = 0; i < config.rpcSequential; i++) {
    const t = performance.now()
    await call()
    lat.push(performance.now() - t)
  }
  const batches = Math.max(1, Math.round(config.rpcPipelined / config.rpcInFlight))
  const t0 = performance.now()
  for (let b = 0; b < batches; b++) {
    const calls: Promise<unknown>[] = []
    for (let i = 0; i < config.rpcInFlight; i++) calls.push(call())
    await Promise.all(calls)
  }
  const ms = performance.now() - t0
  return {
    p50Us: percentile(lat, 0.5) * 1000,
    p99Us: percentile(lat, 0.99) * 1000,
    pipelinedPerSec: (batches * config.rpcInFlight) / (ms / 1000),
  }
}

/** The trades measure's result, the same shape for every client. */
export function tradesResult(
  burst: { count: number; ms: number },
  received: number,
  t0: number,
  t1: number,
  cpuUs: number,
): Record<string, unknown> {
  return {
    sent: burst.count,
    received,
    lost: burst.count - received,
    ms: t1 - t0,
    perSec: received / ((t1 - t0) / 1000),
    simMs: burst.ms,
    cpuUsPerFrame: cpuUs / received,
  }
}
