/**
 * The world of the overlap scenarios (issue 13): a faithful simulator, an account with two
 * subaccounts, and one client whose answers a {@link wireControl} can hold back or lose. The
 * checks are what a user would look at: where each label's order rests on the exchange, what the
 * tracker says per subject, which channels the exchange holds for the client's connection, how
 * and when each promise settled, and that nothing is left running after `close()`.
 */
import { expect } from 'vitest'
import { DeribitClient, type DeribitClientOptions, type DeribitError, type OrderParams } from '../../../src/index.js'
import type { Order, OrderResult } from '../../../src/protocol/types.js'
import { type Simulator, type SimulatorOptions, startSimulator } from '../../../src/simulator/index.js'
import { expectVerdicts, ResourceTracker, sleep, trackerEqualsExchange } from '../../reliability/oracles.js'
import { type WireControl, wireControl } from '../../support/wireControl.js'
import { waitFor } from '../harness.js'

export interface OverlapWorld extends AsyncDisposable {
  sim: Simulator
  wire: WireControl
  client: DeribitClient
  account: { clientId: string; clientSecret: string; mainAccountId: number; subaccountIds: number[] }
  main: number
  subA: number
  subB: number
  /** Started before the client existed: whatever the client creates must be gone after close. */
  resources: ResourceTracker
  /** A new client on the same key and simulator (another process of the bot), closed with the world. */
  another(options?: Partial<DeribitClientOptions>): DeribitClient
}

export interface OverlapOptions {
  sim?: SimulatorOptions
  client?: Partial<DeribitClientOptions>
  /** No `sessionName`: connection-scoped tokens. @default false */
  connectionScope?: boolean
}

export async function startOverlapWorld(options: OverlapOptions = {}): Promise<OverlapWorld> {
  const sim = await startSimulator({ seed: 13, minHeartbeatIntervalSec: 1, marketRateHz: 50, ...options.sim })
  const account = sim.createAccount({ subaccounts: 2 })
  const wire = wireControl()
  const resources = new ResourceTracker().start()
  const credentials = { clientId: account.clientId, clientSecret: account.clientSecret }
  const base: DeribitClientOptions = {
    url: sim.url,
    credentials,
    heartbeatIntervalSec: 1,
    requestTimeoutMs: 1500,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    WebSocket: wire.WebSocket,
  }
  const client = new DeribitClient({
    ...base,
    ...(options.connectionScope ? {} : { sessionName: 'bot' }),
    ...options.client,
  })
  const others: DeribitClient[] = []
  return {
    sim,
    wire,
    client,
    account,
    main: account.mainAccountId,
    subA: account.subaccountIds[0] as number,
    subB: account.subaccountIds[1] as number,
    resources,
    another(extra = {}) {
      const other = new DeribitClient({ url: sim.url, credentials, requestTimeoutMs: 3000, ...extra })
      others.push(other)
      return other
    },
    async [Symbol.asyncDispose]() {
      resources.stop()
      wire.dispose()
      await client.close()
      for (const o of others) await o.close()
      await sim.close()
    },
  }
}

/** Price far below the market: a bid that rests. */
export const RESTING_PRICE = 1000

/** A resting limit buy under `label`. */
export function bid(label: string, extra: Partial<OrderParams> = {}): OrderParams {
  return { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'limit', price: RESTING_PRICE, label, ...extra }
}

/** How a promise settled, and when (ms after it was started). */
export type Settled<T> = { ok: true; value: T; ms: number } | { ok: false; error: DeribitError; ms: number }

/** Starts watching a promise without awaiting it; `.settled` resolves with its outcome. */
export function track<T>(promise: Promise<T>): Promise<Settled<T>> {
  const started = Date.now()
  return promise.then(
    (value) => ({ ok: true as const, value, ms: Date.now() - started }),
    (error: unknown) => ({ ok: false as const, error: error as DeribitError, ms: Date.now() - started }),
  )
}

/** Awaits a tracked promise, failing (not hanging) if it has not settled within `deadlineMs`. */
export async function settledWithin<T>(tracked: Promise<Settled<T>>, deadlineMs: number, what: string) {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), deadlineMs)
  })
  const outcome = await Promise.race([tracked, late])
  clearTimeout(timer)
  expect(outcome, `${what} settles within ${deadlineMs} ms`).not.toBe('late')
  return outcome as Settled<T>
}

/** How many orders each account of the world ever placed under `label`. */
export function labelCounts(world: OverlapWorld, label: string): Record<number, number> {
  return Object.fromEntries(
    [world.main, world.subA, world.subB].map((account) => [account, world.sim.orderCount(account, label)]),
  )
}

/**
 * The order promise told the truth, and the order acted only under the subject it was issued
 * under: at most one order with the label, none on any other account; placed means the order is
 * there; `NOT_PLACED` (or any definite refusal) means no account holds it; `OUTCOME_UNKNOWN`
 * names the label and the subject.
 */
export function expectTruthfulOrder(
  world: OverlapWorld,
  label: string,
  issuedUnder: number,
  outcome: Settled<OrderResult>,
): void {
  const counts = labelCounts(world, label)
  const total = Object.values(counts).reduce((a, b) => a + b, 0)
  const where = `label ${label} issued under ${issuedUnder}, exchange holds ${JSON.stringify(counts)}`
  expect(total, `at most one order: ${where}`).toBeLessThanOrEqual(1)
  for (const [account, n] of Object.entries(counts)) {
    if (Number(account) !== issuedUnder) expect(n, `nothing under another subject: ${where}`).toBe(0)
  }
  if (outcome.ok) {
    expect(outcome.value.order.label, where).toBe(label)
    expect(counts[issuedUnder], `placed means it rests on ${issuedUnder}: ${where}`).toBe(1)
    return
  }
  const error = outcome.error
  expect(error, `a typed error: ${String(error)}`).toHaveProperty('code')
  if (error.code === 'OUTCOME_UNKNOWN') {
    expect((error as DeribitError & { label?: string }).label, where).toBe(label)
    // The subject the order was issued under must be named, so the bot knows where to look.
    expect(subjectNamedBy(error), `OUTCOME_UNKNOWN names the subject: ${where}`).toBe(issuedUnder)
    return
  }
  expect(total, `${error.code} (${error.message}) while ${where}`).toBe(0)
}

/** The subject an error names: a `subjectId` property, or in its `data`. */
export function subjectNamedBy(error: DeribitError): number | undefined {
  const own = (error as DeribitError & { subjectId?: unknown }).subjectId
  if (typeof own === 'number') return own
  const data = error.data as { subjectId?: unknown; subject_id?: unknown } | undefined
  if (typeof data?.subjectId === 'number') return data.subjectId
  if (typeof data?.subject_id === 'number') return data.subject_id
  return undefined
}

/** The simulator's connections that are open now. */
export function openConnectionIds(sim: Simulator): number[] {
  return sim.log
    .connections()
    .filter((c) => c.open)
    .map((c) => c.id)
}

/**
 * The simulator's connections made by the world's client (its side connections included), not by
 * other clients: recognised by the sign-in its sockets wrote first. `open` keeps the open ones.
 */
export function clientConnectionIds(world: OverlapWorld, open = true): number[] {
  return world.sim.log
    .connections()
    .filter((c) => !open || c.open)
    .filter((c) =>
      world.sim.log
        .framesFrom(c.id)
        .slice(0, 5)
        .some((f) => world.wire.wroteAuth(f.text)),
    )
    .map((c) => c.id)
}

/** Every frame the world's client sent, over every connection it ever had. */
function clientFrameCount(world: OverlapWorld): number {
  return clientConnectionIds(world, false).reduce((n, id) => n + world.sim.log.framesFrom(id).length, 0)
}

/** Waits until the client is ready on exactly one open connection and returns that connection's id. */
export async function clientConnection(world: OverlapWorld, timeoutMs = 5000): Promise<number> {
  await waitFor(
    () => world.client.state === 'ready' && clientConnectionIds(world).length === 1,
    'the client ready on one connection',
    timeoutMs,
  )
  return clientConnectionIds(world)[0] as number
}

/**
 * Channels the order tracker may hold for itself (the design keeps a `user.orders`
 * subscription per identity so the tracker stays true without the user subscribing).
 */
export const TRACKER_CHANNEL = /^user\.(orders|changes)\./

/**
 * The channels the exchange holds for the client's connection equal `desired` (plus, at most,
 * the tracker's own order channels), within `timeoutMs` (the reconciler may still be at work);
 * fails with the difference.
 */
export async function expectWire(world: OverlapWorld, desired: readonly string[], timeoutMs = 3000): Promise<void> {
  const want = [...new Set(desired)].sort()
  const end = Date.now() + timeoutMs
  let have: string[] = []
  for (;;) {
    const open = clientConnectionIds(world)
    have =
      open.length === 1
        ? world.sim
            .subscriptionsOf(open[0] as number)
            .filter((c) => want.includes(c) || !TRACKER_CHANNEL.test(c))
            .sort()
        : [`<${open.length} connections>`]
    if (JSON.stringify(have) === JSON.stringify(want) || Date.now() > end) break
    await sleep(25)
  }
  expect(have, 'channels the exchange holds for the client (tracker channels aside)').toEqual(want)
}

/** The tracker's open orders equal the exchange's, for each subject, within `timeoutMs`. */
export async function expectTrackerTrue(world: OverlapWorld, subjects: number[], timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs
  let verdicts = subjects.map((s) => trackerEqualsExchange(world.client, world.sim, s))
  while (verdicts.some((v) => v.problems.length > 0) && Date.now() < end) {
    await sleep(25)
    verdicts = subjects.map((s) => trackerEqualsExchange(world.client, world.sim, s))
  }
  const problems = verdicts.flatMap((v) => v.problems)
  expect(problems, `tracker differs from the exchange:\n${problems.join('\n')}`).toEqual([])
}

/**
 * Closes the client and checks it is over: no frame reaches the exchange afterwards (watched for
 * `quietMs`), and every timer and socket the scenario created is released.
 */
export async function expectClosedForGood(world: OverlapWorld, quietMs = 1500): Promise<void> {
  await world.client.close()
  await waitFor(() => clientConnectionIds(world).length === 0, 'every connection of the client closed', 3000)
  const frames = clientFrameCount(world)
  const connections = clientConnectionIds(world, false).length
  await sleep(quietMs)
  expect(clientConnectionIds(world, false).length - connections, 'connections opened after close()').toBe(0)
  expect(clientFrameCount(world) - frames, 'frames sent after close()').toBe(0)
  world.wire.dispose()
  expectVerdicts(await world.resources.released(2000))
}

/** Every `public/auth` refresh grant the simulator received: the refresh tokens spent. */
export function refreshTokensSpent(sim: Simulator): string[] {
  const spent: string[] = []
  for (const { text } of sim.log.allFrames()) {
    if (!text.includes('refresh_token')) continue
    try {
      const frame = JSON.parse(text) as { method?: string; params?: { grant_type?: string; refresh_token?: string } }
      if (frame.method === 'public/auth' && frame.params?.grant_type === 'refresh_token' && frame.params.refresh_token)
        spent.push(frame.params.refresh_token)
    } catch {
      // Not JSON: not a refresh.
    }
  }
  return spent
}

/** Open orders of an account as the exchange reports them. */
export function openOn(world: OverlapWorld, account: number): Order[] {
  return world.sim.openOrders(account) as Order[]
}

export { sleep, waitFor }
