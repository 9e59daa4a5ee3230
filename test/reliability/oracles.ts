/**
 * The shared oracles of the reliability suite (issue 7). Each returns a {@link Verdict}: a name and
 * the list of problems it found, readable as-is in a failed assertion. A scenario gathers the
 * verdicts that apply to it and hands them to {@link expectVerdicts}.
 */
import { createHook } from 'node:async_hooks'
import { expect } from 'vitest'
import type { DeribitClient } from '../../src/client.js'
import type { DeribitError } from '../../src/errors.js'
import { isPrivateChannel } from '../../src/protocol/channels.js'
import type { Order } from '../../src/protocol/types.js'
import type { Simulator } from '../../src/simulator/index.js'
import type { Logger } from '../../src/transport/logger.js'

/** What an oracle found: `problems` is empty when it holds. */
export interface Verdict {
  oracle: string
  problems: string[]
}

function verdict(oracle: string, problems: string[]): Verdict {
  return { oracle, problems }
}

/** Fails the test with every problem of every verdict, each line prefixed by its oracle. */
export function expectVerdicts(...verdicts: Verdict[]): void {
  const lines = verdicts.flatMap((v) => v.problems.map((p) => `[${v.oracle}] ${p}`))
  expect(lines, 'oracle violations').toEqual([])
}

// ------------------------------------------------------------------ orders: one per label

/** How an order attempt ended, as its promise told the caller. */
export type OrderOutcome =
  | { kind: 'placed'; orderId: string }
  | { kind: 'rejected'; code: string; exchangeCode: number | undefined }
  | { kind: 'unknown'; code: string }
  | { kind: 'pending' }

/**
 * Codes that are definite answers "this order does not exist": the exchange refused it, the client
 * never wrote it, or the label lookup found nothing. Anything else leaves the outcome open.
 */
const DEFINITE_REJECTIONS = new Set(['RPC_ERROR', 'NOT_PLACED', 'NOT_CONNECTED', 'AUTH_FAILED', 'RATE_LIMITED'])

/** Records every order attempt of a scenario by label, to check the exchange against. */
export class OrderLedger {
  readonly #outcomes = new Map<string, OrderOutcome>()
  readonly #accounts = new Map<string, number[]>()

  /**
   * Tracks an order promise placed under `label` for `accounts` (several when a transition races
   * the order: it lands on exactly one of them); returns the same promise.
   */
  track<T extends { order: Order }>(label: string, accounts: number | number[], attempt: Promise<T>): Promise<T> {
    if (this.#outcomes.has(label)) throw new Error(`ledger: label ${label} tracked twice (labels are per intent)`)
    this.#outcomes.set(label, { kind: 'pending' })
    this.#accounts.set(label, typeof accounts === 'number' ? [accounts] : accounts)
    attempt.then(
      (result) => this.#outcomes.set(label, { kind: 'placed', orderId: result.order.order_id }),
      (error: unknown) => {
        const code = (error as DeribitError | undefined)?.code ?? 'UNTYPED'
        this.#outcomes.set(
          label,
          DEFINITE_REJECTIONS.has(code)
            ? { kind: 'rejected', code, exchangeCode: (error as DeribitError).exchangeCode }
            : { kind: 'unknown', code },
        )
      },
    )
    return attempt
  }

  outcome(label: string): OrderOutcome | undefined {
    return this.#outcomes.get(label)
  }

  get labels(): string[] {
    return [...this.#outcomes.keys()]
  }

  accountsOf(label: string): number[] {
    return this.#accounts.get(label) ?? []
  }
}

/**
 * Exactly one exchange order per label that the client said was placed, none for a label it said
 * was definitely not placed, at most one for an unknown outcome; and every attempt settled.
 */
export function onePerLabel(sim: Simulator, ledger: OrderLedger): Verdict {
  const problems: string[] = []
  for (const label of ledger.labels) {
    const outcome = ledger.outcome(label) as OrderOutcome
    const count = ledger.accountsOf(label).reduce((sum, account) => sum + sim.orderCount(account, label), 0)
    switch (outcome.kind) {
      case 'placed':
        if (count !== 1) problems.push(`${label}: client says placed, exchange holds ${count}`)
        break
      case 'rejected':
        if (count !== 0) problems.push(`${label}: client says not placed (${outcome.code}), exchange holds ${count}`)
        break
      case 'unknown':
        if (count > 1) problems.push(`${label}: outcome unknown (${outcome.code}) but exchange holds ${count}`)
        break
      case 'pending':
        problems.push(`${label}: the order promise never settled (exchange holds ${count})`)
    }
  }
  return verdict('one order per label', problems)
}

// ------------------------------------------------------------------ tracker vs exchange

/** The tracker's open orders of `subject` equal the exchange's open orders of that account. */
export function trackerEqualsExchange(client: DeribitClient, sim: Simulator, subject: number): Verdict {
  const exchange = new Map((sim.openOrders(subject) as Order[]).map((o) => [o.order_id, o]))
  const tracked = new Map(
    client.orders
      .forSubject(subject)
      .filter((o) => o.order_state === 'open' || o.order_state === 'untriggered')
      .map((o) => [o.order_id, o]),
  )
  const problems: string[] = []
  for (const [id, order] of exchange) {
    const mine = tracked.get(id)
    if (!mine) problems.push(`subject ${subject}: exchange has open ${id} (${order.label}); tracker does not`)
    else if (mine.amount !== order.amount || mine.filled_amount !== order.filled_amount)
      problems.push(
        `subject ${subject}: ${id} amount/filled ${mine.amount}/${mine.filled_amount} vs ${order.amount}/${order.filled_amount}`,
      )
  }
  for (const id of tracked.keys()) {
    if (!exchange.has(id)) problems.push(`subject ${subject}: tracker holds ${id} open; the exchange does not`)
  }
  return verdict('tracker equals exchange', problems)
}

// ------------------------------------------------------------------ subscriptions

interface ParsedFrame {
  id?: unknown
  method?: unknown
  params?: Record<string, unknown>
}

function parse(text: string): ParsedFrame | undefined {
  try {
    const value = JSON.parse(text) as unknown
    return typeof value === 'object' && value !== null ? (value as ParsedFrame) : undefined
  } catch {
    return undefined
  }
}

function channelsOf(frame: ParsedFrame): string[] {
  const channels = frame.params?.channels
  return Array.isArray(channels) ? channels.filter((c): c is string => typeof c === 'string') : []
}

/** The connections the simulator still holds open. */
export function openConnections(sim: Simulator): number[] {
  return sim.log
    .connections()
    .filter((c) => c.open)
    .map((c) => c.id)
}

/**
 * Walks one connection's frames and reports every channel subscribed while already subscribed
 * (no unsubscribe in between). A `public/auth` on the connection may change its identity, which
 * ends private subscriptions silently (§10.3), so private channels count afresh after one.
 */
export function duplicateSubscribes(sim: Simulator, connectionId: number): string[] {
  const live = new Set<string>()
  const duplicates: string[] = []
  for (const { text, errorCode } of sim.log.framesFrom(connectionId)) {
    if (!text.includes('subscribe') && !text.includes('public/auth')) continue
    // A refused request changed nothing (a subscribe written behind a sign-in the exchange refused).
    if (errorCode !== undefined) continue
    const frame = parse(text)
    if (!frame || typeof frame.method !== 'string') continue
    if (frame.method === 'public/auth') {
      for (const c of [...live]) if (isPrivateChannel(c)) live.delete(c)
    } else if (frame.method === 'public/subscribe' || frame.method === 'private/subscribe') {
      for (const c of channelsOf(frame)) {
        if (live.has(c)) duplicates.push(c)
        live.add(c)
      }
    } else if (frame.method === 'public/unsubscribe' || frame.method === 'private/unsubscribe') {
      for (const c of channelsOf(frame)) live.delete(c)
    } else if (frame.method === 'public/unsubscribe_all' || frame.method === 'private/unsubscribe_all') {
      live.clear()
    }
  }
  return duplicates
}

/**
 * The server's subscription set of the client's (single) open connection equals the client's
 * desired set (`client.channels`), and no channel was subscribed twice on any connection.
 */
export function subscriptionsMatch(client: DeribitClient, sim: Simulator): Verdict {
  const problems: string[] = []
  const open = openConnections(sim)
  if (open.length !== 1) problems.push(`expected one open connection, the simulator holds ${open.length}`)
  const conn = open.at(-1)
  if (conn !== undefined) {
    const server = new Set(sim.subscriptionsOf(conn))
    const wanted = new Set(client.channels)
    for (const c of wanted) if (!server.has(c)) problems.push(`wanted but not subscribed on the server: ${c}`)
    for (const c of server) if (!wanted.has(c)) problems.push(`subscribed on the server but not wanted: ${c}`)
  }
  for (const { id } of sim.log.connections()) {
    const dupes = duplicateSubscribes(sim, id)
    if (dupes.length > 0)
      problems.push(`connection ${id} subscribed again while subscribed: ${[...new Set(dupes)].join(', ')}`)
  }
  return verdict('server subscriptions equal desired, once per connection', problems)
}

// ------------------------------------------------------------------ promises settle

/** Watches promises a scenario starts and tells which are still pending. */
export class PromiseWatch {
  readonly #pending = new Map<number, string>()
  readonly #settled: Array<{ name: string; ok: boolean; value: unknown }> = []
  #next = 0

  /** Tracks `promise` under `name`; returns it (a rejection is recorded, never unhandled). */
  watch<T>(name: string, promise: Promise<T>): Promise<T> {
    const key = this.#next++
    this.#pending.set(key, name)
    promise.then(
      (value) => {
        this.#pending.delete(key)
        this.#settled.push({ name, ok: true, value })
      },
      (error: unknown) => {
        this.#pending.delete(key)
        this.#settled.push({ name, ok: false, value: error })
      },
    )
    return promise
  }

  /** Every outcome so far. */
  get settled(): ReadonlyArray<{ name: string; ok: boolean; value: unknown }> {
    return this.#settled
  }

  /** Waits up to `deadlineMs` for every watched promise to settle; the verdict names the stragglers. */
  async allSettled(deadlineMs: number): Promise<Verdict> {
    const end = Date.now() + deadlineMs
    while (this.#pending.size > 0 && Date.now() < end) await sleep(10)
    return verdict(
      'every promise settles',
      [...this.#pending.values()].map((name) => `${name} still pending after ${deadlineMs} ms`),
    )
  }
}

// ------------------------------------------------------------------ JSON-RPC ids

/** No JSON-RPC id appears twice among the requests of any one connection. */
export function noIdReused(sim: Simulator): Verdict {
  const problems: string[] = []
  for (const { id: conn } of sim.log.connections()) {
    const seen = new Set<unknown>()
    for (const { text } of sim.log.framesFrom(conn)) {
      const frame = parse(text)
      if (!frame || frame.id === undefined) continue
      if (seen.has(frame.id)) problems.push(`connection ${conn}: id ${String(frame.id)} reused`)
      seen.add(frame.id)
    }
  }
  return verdict('no JSON-RPC id reused on a connection', problems)
}

// ------------------------------------------------------------------ resources

/** Active resources by type (`Timeout`, `TCPSocketWrap`, `TCPServerWrap`…), as Node reports them. */
export type ResourceCounts = Record<string, number>

/** Counts `process.getActiveResourcesInfo()` by type. */
export function activeResources(): ResourceCounts {
  const counts: ResourceCounts = {}
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1
  return counts
}

/** Types that belong to the runtime or the test runner rather than to sockets and timers we own. */
const IGNORED_RESOURCES = new Set(['FSReqCallback', 'FSEventWrap', 'PipeWrap', 'TTYWrap', 'ProcessWrap', 'Immediate'])

/**
 * Waits (up to `timeoutMs`) for every timer/socket count to fall back to at most its `baseline`
 * (plus `slack` per type: the simulator's market and heartbeat timers come and go on their own).
 */
export async function resourcesBackToBaseline(
  baseline: ResourceCounts,
  options: { timeoutMs?: number; slack?: number; only?: readonly string[] } = {},
): Promise<Verdict> {
  const end = Date.now() + (options.timeoutMs ?? 2000)
  const slack = options.slack ?? 0
  let over: string[] = []
  for (;;) {
    const now = activeResources()
    over = Object.entries(now)
      .filter(([type]) => !IGNORED_RESOURCES.has(type) && (options.only === undefined || options.only.includes(type)))
      .filter(([type, n]) => n > (baseline[type] ?? 0) + slack)
      .map(([type, n]) => `${type}: ${n} now, ${baseline[type] ?? 0} at baseline`)
    if (over.length === 0 || Date.now() > end) break
    await sleep(20)
  }
  return verdict('timers and sockets back to baseline', over)
}

/** Async resource types the tracker follows: timers and TCP handles. */
// Listening servers are test infrastructure (the proxy re-listens after a refusal); a client makes none.
const TRACKED_TYPES = new Set(['Timeout', 'TCPWRAP', 'TCPCONNECTWRAP'])

/**
 * Follows every timer and TCP handle created while it runs (async_hooks `init`/`destroy`), so a
 * single leaked timer is caught even when other, unrelated timers come and go — which a plain
 * before/after count of `getActiveResourcesInfo()` cannot tell apart. Unref'd timers (the
 * simulator's heartbeats and market ticks) do not hold the process and are not counted.
 */
export class ResourceTracker {
  readonly #alive = new Map<number, { type: string; resource: WeakRef<object> }>()
  readonly #hook = createHook({
    init: (id, type, _trigger, resource) => {
      if (TRACKED_TYPES.has(type)) this.#alive.set(id, { type, resource: new WeakRef(resource) })
    },
    destroy: (id) => {
      this.#alive.delete(id)
    },
  })

  start(): this {
    this.#hook.enable()
    return this
  }

  stop(): void {
    this.#hook.disable()
  }

  /** Resources created since `start()` that still hold the process open, by type. */
  alive(): ResourceCounts {
    const counts: ResourceCounts = {}
    for (const { type, resource } of this.#alive.values()) {
      const held = resource.deref() as { hasRef?: () => boolean; _destroyed?: boolean } | undefined
      if (held === undefined) continue
      // Destroy hooks are delivered in batches: a cleared or fired timer may not have been reported yet.
      if (type === 'Timeout' && (held.hasRef?.() === false || held._destroyed === true)) continue
      counts[type] = (counts[type] ?? 0) + 1
    }
    return counts
  }

  /** Waits up to `timeoutMs` for every tracked resource to be gone; the verdict names what stayed. */
  async released(timeoutMs = 2000): Promise<Verdict> {
    const end = Date.now() + timeoutMs
    let alive = this.alive()
    while (Object.keys(alive).length > 0 && Date.now() < end) {
      await sleep(20)
      // Our own sleep's timer is destroyed only after its callback returns: look from the next turn.
      await new Promise((resolve) => setImmediate(resolve))
      alive = this.alive()
    }
    return verdict(
      'timers and sockets created by the scenario released',
      Object.entries(alive).map(([type, n]) => `${n} ${type} still alive`),
    )
  }
}

/** The client's listener counts on each of its events (all 0 after close). */
export function clientListenerCounts(client: DeribitClient): Record<string, number> {
  const events = ['state', 'transition', 'resubscribed', 'order', 'gap', 'revoked', 'error'] as const
  return Object.fromEntries(events.map((e) => [e, client.listenerCount(e)]))
}

/** Collects process warnings (e.g. MaxListenersExceededWarning) while a scenario runs. */
export function collectWarnings(): { warnings: string[]; stop(): Verdict } {
  const warnings: string[] = []
  const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`)
  process.on('warning', onWarning)
  return {
    warnings,
    stop() {
      process.off('warning', onWarning)
      return verdict('no process warnings (listener leaks)', warnings)
    },
  }
}

// ------------------------------------------------------------------ secrets in logs

/** A logger that keeps every line (level, message and meta as JSON) for the canary check. */
export function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = []
  const line = (level: string) => (fields: Record<string, unknown>, msg: string) => {
    let rendered = ''
    try {
      rendered = JSON.stringify(fields)
    } catch {
      rendered = String(fields)
    }
    lines.push(`${level} ${msg} ${rendered}`)
  }
  return { logger: { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }, lines }
}

/** No secret (the API secret used as canary, every token the client held) appears in any log line. */
export function canaryAbsent(lines: readonly string[], secrets: readonly string[]): Verdict {
  const problems: string[] = []
  const real = secrets.filter((s) => s.length >= 8)
  lines.forEach((line, i) => {
    for (const secret of real) {
      if (line.includes(secret))
        problems.push(`log line ${i} shows a secret (${secret.slice(0, 3)}…): ${line.slice(0, 80)}`)
    }
  })
  return verdict('canary secret never logged', problems)
}

/** Every token a client has held (for the canary check). */
export function tokensOf(client: DeribitClient): string[] {
  return client.sessions.flatMap((s) => [s.accessToken, s.refreshToken])
}

// ------------------------------------------------------------------ small helpers

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Every request of `method` on `connectionId`, parsed. */
export function requestsOn(sim: Simulator, connectionId: number, method: string): ParsedFrame[] {
  const out: ParsedFrame[] = []
  for (const { text } of sim.log.framesFrom(connectionId)) {
    if (!text.includes(method)) continue
    const frame = parse(text)
    if (frame?.method === method) out.push(frame)
  }
  return out
}

/** Every parsed request of every connection, with its connection. */
export function allRequests(sim: Simulator): Array<{ connectionId: number; frame: ParsedFrame; text: string }> {
  const out: Array<{ connectionId: number; frame: ParsedFrame; text: string }> = []
  for (const { connectionId, text } of sim.log.allFrames()) {
    const frame = parse(text)
    if (frame) out.push({ connectionId, frame, text })
  }
  return out
}
