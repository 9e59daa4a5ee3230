/**
 * `npm run bench`: the SDK side by side with a bare-socket floor and with ccxt, in one run.
 * The simulator runs in its own process, paused, and bursts on command; every client
 * run is a fresh process. Rounds alternate the clients, in an order that turns each round; each ratio is
 * taken within a round and the table shows medians. Writes bench/results.json.
 *
 *   npm run bench              # the full run (a few minutes)
 *   npx tsx bench/run.ts --quick   # a smoke run (under a minute; results in the temp folder)
 *   npx tsx bench/run.ts --only=latency   # only the latency section (about four minutes)
 */
import { type ChildProcess, fork } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { ensureBuilt } from './build.js'
import type { BenchConfig, ClientMessage, Measure, SimCommand, SimInfo, SimReply, StartMessage } from './protocol.js'
import { buildReport, type RunsByMeasure } from './report.js'

const here = dirname(fileURLToPath(import.meta.url))
const quick = process.argv.includes('--quick')
/** `--only=book,rpc`: run only these measures. */
const only = flagValue('--only')?.split(',')
/** `--profile=sdk`: run that client's processes under `node --cpu-prof` (profiles in bench/.profiles). */
const profile = flagValue('--profile')

function flagValue(name: string): string | undefined {
  const arg = process.argv.find((a) => a.startsWith(`${name}=`))
  return arg?.slice(name.length + 1)
}

const FULL: BenchConfig = {
  tradeFrames: 200_000,
  warmupFrames: 20_000,
  bookChanges: 200_000,
  gapChanges: 10_000,
  gapsAt: [5_000, 5_000],
  rpcSequential: 5_000,
  rpcPipelined: 20_000,
  rpcInFlight: 1_000,
  transitionSizes: [10, 100, 1_000],
  transitionReps: 9,
  transitionWarmups: 2,
  switchPrivateChannels: 100,
  memorySubscriptions: 1_000,
  memoryCycles: 10_000,
  memoryReconnects: 1_000,
}
const QUICK: BenchConfig = {
  tradeFrames: 50_000,
  warmupFrames: 5_000,
  bookChanges: 50_000,
  gapChanges: 4_000,
  gapsAt: [2_000, 2_000],
  rpcSequential: 1_000,
  rpcPipelined: 5_000,
  rpcInFlight: 1_000,
  transitionSizes: [10, 1_000],
  transitionReps: 1,
  transitionWarmups: 1,
  switchPrivateChannels: 100,
  memorySubscriptions: 1_000,
  memoryCycles: 1_000,
  memoryReconnects: 50,
}
const config = quick ? QUICK : FULL
/** `--rounds=N`: override the number of rounds (e.g. a quick trades run with 5 rounds to compare a change). */
const roundsFlag = flagValue('--rounds')
const rounds = roundsFlag === undefined ? undefined : Math.max(1, Math.trunc(Number(roundsFlag)) || 1)
const ROUNDS = rounds ?? (quick ? 1 : 5)
/** The headline measure's per-round ratios spread ±6 % on this machine: more rounds for its median. */
const TRADES_ROUNDS = rounds ?? (quick ? 1 : 9)
const TRANSITION_ROUNDS = rounds ?? (quick ? 1 : 3)
const EXEC_ARGV = ['--expose-gc', '--import', 'tsx']

/** The plan: which clients run which measure, in this order within a round. */
const PLAN: { measure: Measure; clients: string[]; rounds: number }[] = [
  { measure: 'trades', clients: ['floor', 'sdk', 'ccxt'], rounds: TRADES_ROUNDS },
  { measure: 'book', clients: ['floor', 'sdk', 'ccxt'], rounds: ROUNDS },
  { measure: 'rpc', clients: ['floor', 'sdk'], rounds: ROUNDS },
  { measure: 'transitions', clients: ['floor', 'sdk'], rounds: TRANSITION_ROUNDS },
  { measure: 'memory', clients: ['floor', 'sdk'], rounds: 1 },
]

/** `list` turned left by `by` places. */
function rotated<T>(list: readonly T[], by: number): T[] {
  const k = by % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

interface SimProcess {
  info: SimInfo
  call(command: SimCommand): Promise<unknown>
  stop(): Promise<void>
}

async function startSim(): Promise<SimProcess> {
  const child = fork(join(here, 'simServer.ts'), [], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  })
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
  const info = await new Promise<SimInfo>((resolve, reject) => {
    lines.once('line', (line) => resolve(JSON.parse(line) as SimInfo))
    child.once('exit', (code) => reject(new Error(`simulator exited (${code}) before printing its url`)))
  })
  let nextId = 1
  const waiting = new Map<number, (reply: SimReply) => void>()
  child.on('message', (raw) => {
    const reply = raw as SimReply
    waiting.get(reply.id)?.(reply)
    waiting.delete(reply.id)
  })
  return {
    info,
    call(command) {
      const id = nextId++
      return new Promise((resolve, reject) => {
        waiting.set(id, (reply) => (reply.ok ? resolve(reply.result) : reject(new Error(reply.error))))
        child.send({ ...command, id })
      })
    },
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve())
        child.kill('SIGTERM')
      }),
  }
}

/** Runs one measure in a fresh client process; resolves with its result or `{ error }`. */
function runClient(sim: SimProcess, client: string, measure: Measure): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let settled = false
    const child: ChildProcess = fork(join(here, 'clients', `${client}.ts`), [], {
      execArgv:
        profile === client
          ? ['--cpu-prof', '--cpu-prof-interval', '50', '--cpu-prof-dir', join(here, '.profiles'), ...EXEC_ARGV]
          : EXEC_ARGV,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const settle = (value: Record<string, unknown>): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(value)
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      settle({ error: 'timed out after 180 s' })
    }, 180_000)
    child.on('message', (raw) => {
      const message = raw as ClientMessage
      if (message.type === 'sim') {
        sim.call(message.command).then(
          (result) => child.send({ type: 'simReply', reply: { id: message.id, ok: true, result } }),
          (error: unknown) =>
            child.send({ type: 'simReply', reply: { id: message.id, ok: false, error: String(error) } }),
        )
      } else if (message.type === 'result') {
        settle(message.result)
      } else {
        settle({ error: message.error })
      }
    })
    child.on('exit', (code) => settle({ error: `client exited with code ${code}` }))
    const start: StartMessage = { type: 'start', measure, config, sim: sim.info }
    child.send(start)
  })
}

/** `--report`: rebuilds the table (and the README's copy) from bench/results.json without running. */
function reportOnly(): void {
  const saved = JSON.parse(readFileSync(join(here, 'results.json'), 'utf8')) as Record<string, unknown> & {
    runs: RunsByMeasure
    config: BenchConfig
  }
  const { runs, simulator: _s, values: _v, transitions: _t, memory: _m, targets: _g, ...meta } = saved
  const report = buildReport(runs, meta)
  process.stdout.write(report.table)
  updateReadme(report.table)
}

async function main(): Promise<void> {
  if (process.argv.includes('--report')) {
    reportOnly()
    return
  }
  ensureBuilt(join(here, '..'))
  const started = Date.now()
  // Other work on the machine skews every figure: record how busy it was.
  const loadBefore = loadavg()
  const sim = await startSim()
  const runs: RunsByMeasure = {}
  try {
    for (const { measure, clients, rounds } of PLAN.filter((p) => only === undefined || only.includes(p.measure))) {
      const byClient: Record<string, Record<string, unknown>[]> = {}
      runs[measure] = byClient
      for (let round = 0; round < rounds; round++) {
        // The order turns each round (floor, sdk, ccxt; sdk, ccxt, floor; …): no client always
        // runs right after the same neighbour, on a simulator in the state that neighbour left.
        for (const client of rotated(clients, round)) {
          const result = await runClient(sim, client, measure)
          const list = byClient[client] ?? []
          byClient[client] = list
          list.push(result)
          if ('error' in result)
            process.stderr.write(`${measure}/${client} round ${round + 1}: ${String(result.error)}\n`)
          else process.stderr.write(`.`)
        }
      }
      process.stderr.write(` ${measure} done (${Math.round((Date.now() - started) / 1000)} s)\n`)
    }
  } finally {
    await sim.stop()
  }
  const cpu = cpus()[0]?.model ?? 'unknown'
  const report = buildReport(runs, {
    date: new Date().toISOString(),
    quick,
    durationSec: Math.round((Date.now() - started) / 1000),
    machine: {
      cpu,
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      loadAverage1m: { before: round1(loadBefore[0]), after: round1(loadavg()[0]) },
    },
    config,
    rounds: { trades: TRADES_ROUNDS, throughput: ROUNDS, transitions: TRANSITION_ROUNDS },
  })
  process.stdout.write(report.table)
  // Only a full run is kept with the project; smoke and partial figures go to the temp folder.
  const full = !quick && only === undefined && profile === undefined && rounds === undefined
  const out = full
    ? join(here, 'results.json')
    : join(tmpdir(), `deribit-session-bench.${quick ? 'quick' : 'partial'}.json`)
  writeFileSync(out, `${JSON.stringify(report.json, null, 2)}\n`)
  process.stderr.write(`results: ${out}\n`)
  // The README shows the latest full run's table (smoke and partial runs leave it alone).
  if (full) updateReadme(report.table)
  // The latency section runs in a fresh process of its own, through a latency proxy (bench/latency.ts).
  if ((!quick && only === undefined) || only?.includes('latency')) await runLatencySection()
}

function runLatencySection(): Promise<void> {
  return new Promise((resolve) => {
    const child = fork(join(here, 'latency.ts'), [], { execArgv: ['--import', 'tsx'], stdio: 'inherit' })
    const timer = setTimeout(() => child.kill(), 600_000)
    child.on('exit', (code) => {
      clearTimeout(timer)
      if (code !== 0) process.stderr.write(`latency section exited with code ${code}\n`)
      resolve()
    })
  })
}

const README_START = '<!-- results:start -->'
const README_END = '<!-- results:end -->'

/** Replaces the table between the README's result markers. */
function updateReadme(table: string): void {
  const path = join(here, 'README.md')
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return
  }
  const start = text.indexOf(README_START)
  const end = text.indexOf(README_END)
  if (start === -1 || end < start) return
  const block = `${README_START}\n\n\`\`\`text${table.trimEnd()}\n\`\`\`\n\n`
  writeFileSync(path, text.slice(0, start) + block + text.slice(end))
}

function round1(n: number | undefined): number | null {
  return n === undefined ? null : Math.round(n * 10) / 10
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)
  process.exitCode = 1
})
