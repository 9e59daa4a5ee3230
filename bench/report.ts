/**
 * Turns the runs into the printed table and results.json: medians per client, ratios taken
 * round by round (the SDK's run against the floor's or ccxt's run of the same round) and then
 * their median, and each performance target with pass or miss.
 */
import { median } from './stats.js'

/** Results of one measure: per client, one object per round. */
export type RunsByMeasure = Partial<Record<string, Record<string, Record<string, unknown>[]>>>

/** One performance target and how this run did. */
export interface TargetResult {
  target: string
  value: number | string | null
  goal: string
  pass: boolean | null
}

function get(obj: unknown, path: string): number | undefined {
  let at: unknown = obj
  for (const key of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined
    at = (at as Record<string, unknown>)[key]
  }
  return typeof at === 'number' && Number.isFinite(at) ? at : undefined
}

/** Median over rounds of `path` for one client (NaN when no round has it). */
function med(runs: RunsByMeasure, measure: string, client: string, path: string): number {
  const list = runs[measure]?.[client] ?? []
  return median(list.map((r) => get(r, path) ?? Number.NaN))
}

/** Per-round ratios a/b of `path`, and their median. */
function ratio(
  runs: RunsByMeasure,
  measure: string,
  a: string,
  b: string,
  path: string,
  pathB = path,
): { perRound: number[]; median: number } {
  const as = runs[measure]?.[a] ?? []
  const bs = runs[measure]?.[b] ?? []
  const perRound: number[] = []
  for (let i = 0; i < Math.min(as.length, bs.length); i++) {
    const x = get(as[i], path)
    const y = get(bs[i], pathB)
    perRound.push(x !== undefined && y !== undefined && y !== 0 ? x / y : Number.NaN)
  }
  return { perRound, median: median(perRound) }
}

/** Largest value of `path` over rounds. */
function max(runs: RunsByMeasure, measure: string, client: string, path: string): number {
  const values = (runs[measure]?.[client] ?? []).map((r) => get(r, path)).filter((v): v is number => v !== undefined)
  return values.length === 0 ? Number.NaN : Math.max(...values)
}

function all(
  runs: RunsByMeasure,
  measure: string,
  client: string,
  test: (r: Record<string, unknown>) => boolean,
): boolean | null {
  const list = runs[measure]?.[client] ?? []
  if (list.length === 0 || list.some((r) => 'error' in r)) return null
  return list.every(test)
}

const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—'
const fmtRatio = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)}×` : '—')
const kb = (bytes: number): string => (Number.isFinite(bytes) ? `${Math.round(bytes / 1024)} kB` : '—')
const mb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 2 ** 20).toFixed(2)} MB` : '—')

export const TRANSITION_KINDS = ['refresh', 'exchange', 'fork', 'reconnect'] as const

/** Builds the printed table and the JSON document. */
export function buildReport(
  runs: RunsByMeasure,
  meta: Record<string, unknown> & { config: { transitionSizes: number[] } },
): { table: string; json: unknown } {
  const lines: string[] = []
  const row = (cells: string[], widths: number[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  const W = [44, 12, 12, 12, 16, 16]
  const machine = meta.machine as Record<string, unknown>
  lines.push('')
  lines.push(`deribit-session benchmarks — ${String(meta.date)}${meta.quick ? ' (--quick)' : ''}`)
  const simRates = Object.values(runs.trades ?? {})
    .flat()
    .map((r) => (get(r, 'sent') ?? Number.NaN) / ((get(r, 'simMs') ?? Number.NaN) / 1000))
  const simBookRates = Object.values(runs.book ?? {})
    .flat()
    .map((r) => (get(r, 'sent') ?? Number.NaN) / ((get(r, 'simMs') ?? Number.NaN) / 1000))
  const load = machine.loadAverage1m as { before: number | null; after: number | null }
  lines.push(
    `${String(machine.cpu)}, ${String(machine.cores)} cores, ${String(machine.memoryGb)} GB, node ${String(machine.node)}, ${String(machine.platform)}`,
  )
  lines.push(`load average (1 min) before/after the run: ${String(load.before)} / ${String(load.after)}`)
  lines.push('')
  lines.push(
    `simulator send rate (own process, client socket held): ${fmt(median(simRates))} trades/s, ${fmt(median(simBookRates))} book changes/s`,
  )
  lines.push('')
  lines.push(row(['median over rounds', 'floor', 'sdk', 'ccxt', 'sdk/floor', 'sdk/ccxt'], W))
  lines.push('-'.repeat(W.reduce((a, b) => a + b + 2, 0)))

  const values: Record<string, unknown> = {}
  const line = (
    label: string,
    measure: string,
    path: string,
    opts: { digits?: number; ccxt?: boolean; ccxtPath?: string; noRatio?: boolean } = {},
  ) => {
    const f = med(runs, measure, 'floor', path)
    const s = med(runs, measure, 'sdk', path)
    const c = opts.ccxt ? med(runs, measure, 'ccxt', opts.ccxtPath ?? path) : Number.NaN
    const rf = ratio(runs, measure, 'sdk', 'floor', path)
    const rc = opts.ccxt
      ? ratio(runs, measure, 'sdk', 'ccxt', path, opts.ccxtPath ?? path)
      : { perRound: [], median: Number.NaN }
    values[`${measure}.${path}`] = {
      floor: f,
      sdk: s,
      ccxt: opts.ccxt ? c : null,
      sdkOverFloor: rf,
      sdkOverCcxt: opts.ccxt ? rc : null,
    }
    lines.push(
      row(
        [
          label,
          fmt(f, opts.digits),
          fmt(s, opts.digits),
          opts.ccxt ? fmt(c, opts.digits) : '',
          opts.noRatio ? '' : fmtRatio(rf.median),
          opts.ccxt && !opts.noRatio ? fmtRatio(rc.median) : '',
        ],
        W,
      ),
    )
    return { f, s, c, rf, rc }
  }
  const trades = line('trades → user code, frames/s', 'trades', 'perSec', { ccxt: true })
  line('  CPU time per frame, µs (lower is better)', 'trades', 'cpuUsPerFrame', { digits: 2 })
  line('  trades lost (of sent)', 'trades', 'lost', { ccxt: true, noRatio: true })
  line('  trades returned by ccxt watchTrades, /s', 'trades', 'returnedPerSec', { ccxt: true, noRatio: true })
  const book = line('book changes applied/s', 'book', 'perSec', { ccxt: true })
  const gapEvents = med(runs, 'book', 'sdk', 'gapEvents') / med(runs, 'book', 'sdk', 'gapsInjected')
  values['book.sdkGapEventsPerInjectedGap'] = gapEvents
  lines.push(row(["  sdk 'gap' events per injected gap", '', fmt(gapEvents), '', '', ''], W))
  const rpcP50 = line('public/test sequential p50, µs', 'rpc', 'p50Us', { digits: 1 })
  line('public/test sequential p99, µs', 'rpc', 'p99Us', { digits: 1 })
  const rpcPipe = line('public/test pipelined (1,000 in flight), /s', 'rpc', 'pipelinedPerSec')
  const rss = line('peak RSS of the trades run, MB', 'trades', 'peakRssKb', { ccxt: true })
  // peakRss is in kB: show MB.
  lines[lines.length - 1] = row(
    [
      'peak RSS of the trades run, MB',
      fmt(rss.f / 1024, 1),
      fmt(rss.s / 1024, 1),
      fmt(rss.c / 1024, 1),
      fmtRatio(rss.rf.median),
      fmtRatio(rss.rc.median),
    ],
    W,
  )

  // Transitions.
  lines.push('')
  const TW = [28, 12, 12, 10, 14, 14]
  lines.push(row(['transition (channels)', 'sdk ms', 'min ms', 'sdk/min', 'sdk frames', 'min frames'], TW))
  lines.push('-'.repeat(TW.reduce((a, b) => a + b + 2, 0)))
  const transitions: Record<string, unknown> = {}
  for (const size of meta.config.transitionSizes) {
    for (const kind of TRANSITION_KINDS) {
      const path = `bySize.${size}.${kind}`
      const s = med(runs, 'transitions', 'sdk', `${path}.ms`)
      const f = med(runs, 'transitions', 'floor', `${path}.ms`)
      const r = ratio(runs, 'transitions', 'sdk', 'floor', `${path}.ms`)
      const sf = med(runs, 'transitions', 'sdk', `${path}.frames`)
      const ff = med(runs, 'transitions', 'floor', `${path}.frames`)
      transitions[`${kind}.${size}`] = { sdkMs: s, minMs: f, sdkOverMin: r, sdkFrames: sf, minFrames: ff }
      lines.push(row([`${kind} (${size})`, fmt(s, 1), fmt(f, 1), fmtRatio(r.median), fmt(sf), fmt(ff)], TW))
    }
  }

  // Issue 8: switchSession to a held session against exchangeToken, with N private channels.
  const nSwitch = get(meta.config, 'switchPrivateChannels') ?? Number.NaN
  const switchVsExchange: Record<string, unknown> = {}
  for (const kind of ['exchange', 'switch'] as const) {
    const path = `switchVsExchange.${kind}`
    const s = med(runs, 'transitions', 'sdk', `${path}.ms`)
    const f = med(runs, 'transitions', 'floor', `${path}.ms`)
    const r = ratio(runs, 'transitions', 'sdk', 'floor', `${path}.ms`)
    const sf = med(runs, 'transitions', 'sdk', `${path}.frames`)
    const ff = med(runs, 'transitions', 'floor', `${path}.frames`)
    switchVsExchange[kind] = { sdkMs: s, minMs: f, sdkOverMin: r, sdkFrames: sf, minFrames: ff }
    lines.push(
      row([`${kind} (${fmt(nSwitch)} private)`, fmt(s, 1), fmt(f, 1), fmtRatio(r.median), fmt(sf), fmt(ff)], TW),
    )
  }
  const switchOverExchange = ratio(
    runs,
    'transitions',
    'sdk',
    'sdk',
    'switchVsExchange.switch.ms',
    'switchVsExchange.exchange.ms',
  )
  switchVsExchange.sdkSwitchOverExchange = switchOverExchange
  const confirmedAll = all(runs, 'transitions', 'sdk', (r) => {
    const result = r.switchVsExchange as
      | { expected?: number; checks?: { confirmed: number; serverSubscriptions: number[] }[] }
      | undefined
    const checks = result?.checks
    // The user's channels plus the order tracker's own, when the client reports it.
    const want = result?.expected ?? nSwitch
    return (
      checks !== undefined &&
      checks.length > 0 &&
      checks.every((c) => c.confirmed === want && c.serverSubscriptions.every((n) => n === want))
    )
  })
  switchVsExchange.everyChannelConfirmed = confirmedAll
  lines.push(
    `sdk switch / sdk exchange (${fmt(nSwitch)} private channels): time ${fmtRatio(switchOverExchange.median)}; ` +
      `all ${fmt(nSwitch)} confirmed by the client and on the server after each: ${confirmedAll === null ? '—' : confirmedAll ? 'yes' : 'NO'}`,
  )
  transitions.switchVsExchange = switchVsExchange

  // Memory.
  lines.push('')
  const heapPerSubsSdk = med(runs, 'memory', 'sdk', 'heapPer1000SubsBytes')
  const heapPerSubsFloor = med(runs, 'memory', 'floor', 'heapPer1000SubsBytes')
  const cycles = med(runs, 'memory', 'sdk', 'cyclesGrowthBytes')
  const reconnects = med(runs, 'memory', 'sdk', 'reconnectsGrowthBytes')
  lines.push(`heap per 1,000 subscriptions: sdk ${kb(heapPerSubsSdk)}, floor ${kb(heapPerSubsFloor)}`)
  lines.push(
    `heap growth after ${fmt(get(meta.config, 'memoryCycles') ?? Number.NaN)} subscribe/unsubscribe cycles: sdk ${mb(cycles)}`,
  )
  lines.push(
    `heap growth after ${fmt(get(meta.config, 'memoryReconnects') ?? Number.NaN)} reconnects: sdk ${mb(reconnects)}`,
  )

  // Targets.
  const largest = Math.max(...meta.config.transitionSizes)
  const targets: TargetResult[] = []
  const t = (target: string, value: number | string | null, goal: string, pass: boolean | null) =>
    targets.push({ target, value, goal, pass })
  const simRate = median(simRates)
  t(
    'simulator send rate, trades/s',
    Number.isFinite(simRate) ? Math.round(simRate) : null,
    '≥ 200,000',
    cmp(simRate, (x) => x >= 200_000),
  )
  t(
    'notifications: sdk / floor',
    round2(trades.rf.median),
    '≥ 0.9',
    cmp(trades.rf.median, (x) => x >= 0.9),
  )
  t(
    'notifications: sdk / ccxt',
    round2(trades.rc.median),
    '≥ 4',
    cmp(trades.rc.median, (x) => x >= 4),
  )
  t(
    'notifications lost by sdk (max over rounds)',
    max(runs, 'trades', 'sdk', 'lost'),
    '0',
    cmp(max(runs, 'trades', 'sdk', 'lost'), (x) => x === 0),
  )
  t(
    'book changes applied: sdk / ccxt',
    round2(book.rc.median),
    '≥ 2',
    cmp(book.rc.median, (x) => x >= 2),
  )
  const gapsOk = all(runs, 'book', 'sdk', (r) => get(r, 'gapsDetected') === get(r, 'gapsInjected'))
  t('book gaps detected by sdk (every round)', gapsOk === null ? null : gapsOk ? 'all' : 'some missed', 'all', gapsOk)
  t(
    'rpc p50: sdk / floor',
    round2(rpcP50.rf.median),
    '≤ 1.2',
    cmp(rpcP50.rf.median, (x) => x <= 1.2),
  )
  t(
    'rpc pipelined: sdk / floor',
    round2(rpcPipe.rf.median),
    '≥ 0.8',
    cmp(rpcPipe.rf.median, (x) => x >= 0.8),
  )
  for (const kind of TRANSITION_KINDS) {
    const r =
      (transitions[`${kind}.${largest}`] as { sdkOverMin: { median: number } } | undefined)?.sdkOverMin.median ??
      Number.NaN
    t(
      `${kind} with ${largest} channels: sdk / minimum round trips`,
      round2(r),
      '≤ 1.5',
      cmp(r, (x) => x <= 1.5),
    )
  }
  const publicLost = max(runs, 'transitions', 'sdk', 'publicLost')
  t(
    'public notifications lost during exchange/fork (max)',
    publicLost,
    '0',
    cmp(publicLost, (x) => x === 0),
  )
  t(
    'peak RSS: sdk / floor',
    round2(rss.rf.median),
    '≤ 1.3',
    cmp(rss.rf.median, (x) => x <= 1.3),
  )
  t(
    'heap growth after subscribe/unsubscribe cycles',
    Number.isFinite(cycles) ? Math.round(cycles) : null,
    '< 2 MB',
    cmp(cycles, (x) => x < 2 * 2 ** 20),
  )
  t(
    'heap growth after reconnects',
    Number.isFinite(reconnects) ? Math.round(reconnects) : null,
    '< 2 MB',
    cmp(reconnects, (x) => x < 2 * 2 ** 20),
  )

  lines.push('')
  const GW = [56, 14, 10, 6]
  lines.push(row(['target', 'this run', 'goal', ''], GW))
  lines.push('-'.repeat(GW.reduce((a, b) => a + b + 2, 0)))
  for (const x of targets) {
    let value = String(x.value ?? '—')
    if (typeof x.value === 'number') {
      // A ratio keeps two decimals even when whole: 4.00 shows how close it came to a goal of 4.
      const ratio = x.target.includes(' / ')
      value = x.target.startsWith('heap growth')
        ? mb(x.value)
        : fmt(x.value, ratio || !Number.isInteger(x.value) ? 2 : 0)
    }
    lines.push(row([x.target, value, x.goal, x.pass === null ? 'n/a' : x.pass ? 'pass' : 'MISS'], GW))
  }
  const errors = Object.entries(runs).flatMap(([measure, byClient]) =>
    Object.entries(byClient ?? {}).flatMap(([client, list]) =>
      list.filter((r) => 'error' in r).map((r) => `${measure}/${client}: ${String(r.error).split('\n')[0]}`),
    ),
  )
  if (errors.length > 0) {
    lines.push('')
    lines.push('errors:')
    for (const e of errors) lines.push(`  ${e}`)
  }
  lines.push('')
  return {
    table: `${lines.join('\n')}\n`,
    json: {
      ...meta,
      simulator: { tradesPerSec: median(simRates), bookChangesPerSec: median(simBookRates) },
      values,
      transitions,
      memory: {
        heapPer1000SubsBytes: { sdk: heapPerSubsSdk, floor: heapPerSubsFloor },
        cyclesGrowthBytes: cycles,
        reconnectsGrowthBytes: reconnects,
      },
      targets,
      runs,
    },
  }
}

function round2(n: number): number | null {
  return Number.isFinite(n) ? Math.round(n * 100) / 100 : null
}

function cmp(n: number, test: (x: number) => boolean): boolean | null {
  return Number.isFinite(n) ? test(n) : null
}
