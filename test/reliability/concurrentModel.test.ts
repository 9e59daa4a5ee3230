/**
 * Concurrent model-based test (issue 13). fast-check generates programs that START client
 * operations without awaiting them — orders, cancels, subscriptions, books, refresh, exchanges to
 * two subaccounts and back, switch, fork, endSession, close — with faults in between: an answer
 * delayed past its deadline, an answer lost with its socket, 13009, 10028, a refused subscribe, a
 * drop, a half-open socket, a refused reconcile query. After healing, per identity:
 *   - each label is at most one order, on the identity it was issued under (the identity the last
 *     transition started before it ends on, or returns to if it fails);
 *   - every promise settled within its deadline, truthfully (`NOT_PLACED` or any other refusal only
 *     when no account holds the label; `OUTCOME_UNKNOWN` names label and subject);
 *   - the tracker equals the exchange for every subject;
 *   - the exchange holds, for the client's connection, the public channels the user's calls leave
 *     wanted, and exactly the private channels the client says it wants (tracker channels aside);
 *   - nothing is alive after `close()`: no connection, no frame, no timer.
 *
 * Bounded for CI (`CONCURRENT_RUNS`, default 30; a program runs for well under 2 s before healing).
 * A failure prints its seed and path: replay with
 * `CONCURRENT_SEED=<seed> CONCURRENT_PATH=<path> npx vitest run test/reliability/concurrentModel.test.ts`.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { DeribitError, HeldSessionInfo, OrderParams } from '../../src/index.js'
import type { ChannelName } from '../../src/protocol/channelNames.js'
import type { OrderResult } from '../../src/protocol/types.js'
import {
  clientConnectionIds,
  expectClosedForGood,
  expectTrackerTrue,
  expectTruthfulOrder,
  type OverlapWorld,
  RESTING_PRICE,
  type Settled,
  sleep,
  startOverlapWorld,
  TRACKER_CHANNEL,
  track,
  waitFor,
} from '../client/overlaps/overlapWorld.js'

const RUNS = Number(process.env.CONCURRENT_RUNS ?? 30)
const SEED = process.env.CONCURRENT_SEED === undefined ? undefined : Number(process.env.CONCURRENT_SEED)
const PATH = process.env.CONCURRENT_PATH

const PUBLIC = ['ticker.BTC-PERPETUAL.100ms', 'trades.BTC-PERPETUAL.100ms', 'ticker.ETH-PERPETUAL.100ms'] as const
const PRIVATE = ['user.trades.any.any.raw', 'user.portfolio.btc'] as const
const BOOK_INSTRUMENT = 'ETH-PERPETUAL'
const BOOK_CHANNEL = `book.${BOOK_INSTRUMENT}.100ms`

/** Per-call deadlines the caller gives (ms), and the slack allowed over them for settling. */
const ORDER_TIMEOUT = 1000
const CALL_TIMEOUT = 1500
const TRANSITION_TIMEOUT = 3000
/** Calls without a timeout option (refresh, fork, switch, endSession, close) must settle within this. */
const UNBOUNDED_CALL_DEADLINE = 6000
const SLACK = 600

type Subject = 'main' | 'subA' | 'subB'
type Fault =
  | 'late-answer'
  | 'lost-with-socket'
  | 'unauthorized-13009'
  | 'rate-limited-10028'
  | 'refused-subscribe'
  | 'drop'
  | 'half-open'
  | 'refused-reconcile'

type Step =
  | { kind: 'buy' | 'sell' | 'edit' | 'cancel' | 'cancelAll' | 'cancelByLabel' | 'orderBook' | 'closeBook' }
  | { kind: 'subscribe' | 'unsubscribe'; channel: ChannelName }
  | { kind: 'refresh' | 'fork' | 'close' }
  | { kind: 'exchange'; to: Subject }
  | { kind: 'switch' | 'endSession'; pick: number }
  | { kind: 'fault'; fault: Fault; method: string }
  | { kind: 'wait'; ms: number }

const ORDER_METHODS = ['private/buy', 'private/sell', 'private/cancel', 'private/edit', 'private/cancel_all']

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom<'buy' | 'sell'>('buy', 'sell').map((kind) => ({ kind })) },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom<'edit' | 'cancel' | 'cancelAll' | 'cancelByLabel'>('edit', 'cancel', 'cancelAll', 'cancelByLabel')
      .map((kind) => ({ kind })),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constantFrom<'subscribe' | 'unsubscribe'>('subscribe', 'unsubscribe'),
      channel: fc.constantFrom(...PUBLIC, ...PRIVATE),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom<'orderBook' | 'closeBook'>('orderBook', 'closeBook').map((kind) => ({ kind })),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('exchange' as const),
      to: fc.constantFrom<Subject>('main', 'subA', 'subB'),
    }),
  },
  { weight: 1, arbitrary: fc.constantFrom<'refresh' | 'fork'>('refresh', 'fork').map((kind) => ({ kind })) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constantFrom<'switch' | 'endSession'>('switch', 'endSession'), pick: fc.nat(5) }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('fault' as const),
      fault: fc.constantFrom<Fault>(
        'late-answer',
        'lost-with-socket',
        'unauthorized-13009',
        'rate-limited-10028',
        'refused-subscribe',
        'drop',
        'half-open',
        'refused-reconcile',
      ),
      method: fc.constantFrom(...ORDER_METHODS),
    }),
  },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 120 }).map((ms) => ({ kind: 'wait' as const, ms })) },
)

/** A program: steps, and rarely a `close()` somewhere in it. */
const programArb = fc
  .tuple(fc.array(stepArb, { minLength: 3, maxLength: 14 }), fc.option(fc.nat(14), { freq: 5 }))
  .map(([steps, closeAt]) =>
    closeAt === null ? steps : [...steps.slice(0, closeAt), { kind: 'close' } as Step, ...steps.slice(closeAt)],
  )

/** One started call: what it was, when in the program, its deadline, its outcome. */
interface Started {
  index: number
  name: string
  deadlineMs: number
  settled: Promise<Settled<unknown>>
  /** For orders: the label. */
  label?: string
  /** For transitions: the subject it moves to when it succeeds. */
  target?: Subject | 'same'
}

const REFUSED = { code: 11051, message: 'system_maintenance' }

class Program {
  readonly started: Started[] = []
  readonly labels: string[] = []
  readonly books: Array<Promise<{ close(): Promise<void> } | undefined>> = []
  closeIssued = false
  endIssued = false
  halfOpened = false
  #forks = 0

  constructor(readonly w: OverlapWorld) {}

  subjectId(s: Subject): number {
    return s === 'main' ? this.w.main : s === 'subA' ? this.w.subA : this.w.subB
  }

  subjectOf(id: number | undefined): Subject {
    return id === this.w.subA ? 'subA' : id === this.w.subB ? 'subB' : 'main'
  }

  start<T>(index: number, name: string, deadlineMs: number, promise: () => Promise<T>, extra: Partial<Started> = {}) {
    // A call that throws synchronously is a failed call too, not a crash of the program.
    const settled = track(Promise.resolve().then(promise)) as Promise<Settled<unknown>>
    this.started.push({ index, name, deadlineMs, settled, ...extra })
    return settled
  }

  order(index: number, direction: 'buy' | 'sell'): void {
    const label = `p${index}`
    this.labels.push(label)
    const params: OrderParams = {
      instrument_name: 'BTC-PERPETUAL',
      amount: 10,
      type: 'limit',
      price: direction === 'buy' ? RESTING_PRICE : 1_000_000,
      label,
    }
    this.start(
      index,
      `${direction} ${label}`,
      ORDER_TIMEOUT,
      () =>
        direction === 'buy'
          ? this.w.client.buy(params, { timeoutMs: ORDER_TIMEOUT })
          : this.w.client.sell(params, { timeoutMs: ORDER_TIMEOUT }),
      { label },
    )
  }

  held(pick: number, active: boolean): HeldSessionInfo | undefined {
    const candidates = this.w.client.heldSessions().filter((h) => h.active === active)
    return candidates.length === 0 ? undefined : candidates[pick % candidates.length]
  }

  async run(step: Step, i: number): Promise<void> {
    const { client, sim, wire } = this.w
    const opts = { timeoutMs: CALL_TIMEOUT }
    switch (step.kind) {
      case 'buy':
      case 'sell':
        return this.order(i, step.kind)
      case 'edit': {
        const open = client.orders.open()[0]
        if (open)
          this.start(i, `edit ${open.order_id}`, ORDER_TIMEOUT, () =>
            client.edit({ order_id: open.order_id, price: RESTING_PRICE - 5 }, { timeoutMs: ORDER_TIMEOUT }),
          )
        return
      }
      case 'cancel': {
        const open = client.orders.open()[0]
        if (open)
          this.start(i, `cancel ${open.order_id}`, ORDER_TIMEOUT, () =>
            client.cancel(open.order_id, { timeoutMs: ORDER_TIMEOUT }),
          )
        return
      }
      case 'cancelAll':
        this.start(i, 'cancelAll', ORDER_TIMEOUT, () => client.cancelAll({}, { timeoutMs: ORDER_TIMEOUT }))
        return
      case 'cancelByLabel': {
        const label = this.labels.at(-1)
        if (label)
          this.start(i, `cancelByLabel ${label}`, ORDER_TIMEOUT, () =>
            client.cancelByLabel(label, { timeoutMs: ORDER_TIMEOUT }),
          )
        return
      }
      case 'subscribe':
        this.start(i, `subscribe ${step.channel}`, CALL_TIMEOUT, () =>
          client.subscribe([step.channel], undefined, opts),
        )
        return
      case 'unsubscribe':
        this.start(i, `unsubscribe ${step.channel}`, CALL_TIMEOUT, () => client.unsubscribe(step.channel, opts))
        return
      case 'orderBook': {
        const opened = this.start(i, 'orderBook', CALL_TIMEOUT, () => client.orderBook(BOOK_INSTRUMENT, opts))
        this.books.push(opened.then((s) => (s.ok ? (s.value as { close(): Promise<void> }) : undefined)))
        return
      }
      case 'closeBook': {
        const book = this.books.shift()
        if (book) this.start(i, 'book.close', CALL_TIMEOUT * 2, async () => (await book)?.close())
        return
      }
      case 'refresh':
        this.start(i, 'refreshToken', UNBOUNDED_CALL_DEADLINE, () => client.refreshToken(), { target: 'same' })
        return
      case 'fork': {
        const name = `fork-${++this.#forks}`
        if (this.#forks <= 3)
          this.start(i, `forkToken ${name}`, UNBOUNDED_CALL_DEADLINE, () => client.forkToken(name), { target: 'same' })
        return
      }
      case 'exchange':
        this.start(
          i,
          `exchangeToken ${step.to}`,
          TRANSITION_TIMEOUT,
          () => client.exchangeToken(this.subjectId(step.to), { timeoutMs: TRANSITION_TIMEOUT }),
          { target: step.to },
        )
        return
      case 'switch': {
        const target = this.held(step.pick, false)
        if (target)
          this.start(
            i,
            `switchSession ${this.subjectOf(target.subjectId)}`,
            UNBOUNDED_CALL_DEADLINE,
            () => client.switchSession(target.id),
            { target: this.subjectOf(target.subjectId) },
          )
        return
      }
      case 'endSession': {
        const target = this.held(step.pick, false)
        if (!target) return
        this.endIssued = true
        this.start(i, 'endSession', UNBOUNDED_CALL_DEADLINE, () => client.endSession(target.id))
        return
      }
      case 'close':
        this.closeIssued = true
        this.start(i, 'close', UNBOUNDED_CALL_DEADLINE, () => client.close())
        return
      case 'wait':
        await sleep(step.ms)
        return
      case 'fault':
        switch (step.fault) {
          case 'late-answer':
            wire.hold({ match: step.method, hold: ORDER_TIMEOUT + 500, count: 1 })
            return
          case 'lost-with-socket':
            wire.cutAfter(step.method)
            return
          case 'unauthorized-13009':
            sim.faults.failNext(step.method, 1, { code: 13009, message: 'unauthorized' })
            return
          case 'rate-limited-10028':
            // As on Deribit (§10.7): the request gets 10028, then the connection is closed.
            sim.faults.failNext(step.method, 1, { code: 10028, message: 'too_many_requests' })
            void wire
              .sent(step.method)
              .then(() => sleep(5))
              .then(() => sim.faults.dropConnections({ mode: 'close' }))
              .catch(() => undefined)
            return
          case 'refused-subscribe':
            sim.faults.failNext('public/subscribe', 1, REFUSED)
            sim.faults.failNext('private/subscribe', 1, REFUSED)
            return
          case 'drop':
            sim.faults.dropConnections({ mode: 'terminate' })
            return
          case 'half-open':
            this.halfOpened = true
            sim.faults.halfOpen('all')
            return
          case 'refused-reconcile':
            for (const m of ['private/get_open_orders', 'private/get_open_orders_by_currency'])
              sim.faults.failNext(m, 3, { code: -32602, message: 'Invalid params' })
            return
        }
    }
  }
}

/**
 * The public channels the user's calls leave wanted, in call order: an unsubscribe ends every
 * subscription of the channel; a subscribe that succeeded makes it wanted; a refused one changes
 * nothing (all or nothing, and earlier subscriptions of the channel stay).
 */
async function wantedPublic(p: Program): Promise<string[]> {
  const wanted = new Set<string>()
  for (const s of p.started) {
    const m = /^(subscribe|unsubscribe) (.+)$/.exec(s.name)
    const channel = PUBLIC.find((c) => c === m?.[2])
    if (!m || !channel) continue
    if (m[1] === 'unsubscribe') wanted.delete(channel)
    else if ((await s.settled).ok) wanted.add(channel)
  }
  let books = 0
  for (const s of p.started) {
    if (s.name === 'orderBook' && (await s.settled).ok) books++
    if (s.name === 'book.close' && (await s.settled).ok) books--
  }
  if (books > 0) wanted.add(BOOK_CHANNEL)
  return [...wanted].sort()
}

/** The promise's value, or undefined once `ms` passed (its timer is cleared either way). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
  })
  try {
    return await Promise.race([promise, late])
  } finally {
    clearTimeout(timer)
  }
}

async function verify(p: Program): Promise<void> {
  const { w } = p
  // 1. Every promise settles within its deadline.
  const late: string[] = []
  for (const s of p.started) {
    const outcome = await within(s.settled, s.deadlineMs + SLACK + 2000)
    if (outcome === undefined) late.push(`${s.name}: still pending`)
    else if (outcome.ms > s.deadlineMs + SLACK)
      late.push(`${s.name}: settled after ${outcome.ms} ms (deadline ${s.deadlineMs})`)
    else if (!outcome.ok)
      expect((outcome.error as DeribitError).code, `${s.name} failed untyped: ${String(outcome.error)}`).toBeDefined()
  }
  expect(late, `calls past their deadline: ${late.join('; ')}`).toEqual([])

  // 2. Orders: on the identity they were issued under, truthfully. Transitions run in call order.
  let subject: Subject = 'main'
  for (const s of p.started) {
    const outcome = await s.settled
    if (s.target !== undefined && outcome.ok && s.target !== 'same') subject = s.target
    if (s.label !== undefined) expectTruthfulOrder(w, s.label, p.subjectId(subject), outcome as Settled<OrderResult>)
  }

  // 3. Heal; unless the program closed the client, it must be ready, true and subscribed as wanted.
  w.wire.clear()
  w.sim.faults.reset()
  const closed = w.client.state === 'closed'
  if (closed) {
    expect(p.closeIssued || p.endIssued, 'the client closed although nothing closed it').toBe(true)
  } else {
    await waitFor(
      () => w.client.state === 'ready' && clientConnectionIds(w).length === 1,
      'the client ready on one connection after healing',
      8000,
    )
    expect(w.client.subjectId ?? w.main, 'the client is on the subject the transitions led to').toBe(
      p.subjectId(subject),
    )
    await expectTrackerTrue(w, [w.main, w.subA, w.subB])
    const wantedPub = await wantedPublic(p)
    const end = Date.now() + 3000
    let onWire: string[] = []
    let privateWanted: string[] = []
    for (;;) {
      const conn = clientConnectionIds(w)[0] as number
      onWire = w.sim
        .subscriptionsOf(conn)
        .filter((c) => !TRACKER_CHANNEL.test(c))
        .sort()
      privateWanted = w.client.channels.filter((c) => c.startsWith('user.') && !TRACKER_CHANNEL.test(c))
      const want = [...wantedPub, ...privateWanted].sort()
      if (JSON.stringify(onWire) === JSON.stringify(want) || Date.now() > end) break
      await sleep(25)
    }
    expect(onWire, 'channels the exchange holds for the client').toEqual([...wantedPub, ...privateWanted].sort())
  }
  // 4. Nothing alive after close().
  await expectClosedForGood(w, 500)
}

const property = fc.asyncProperty(programArb, async (steps) => {
  await using w = await startOverlapWorld({ client: { requestTimeoutMs: CALL_TIMEOUT } })
  await w.client.connect()
  const p = new Program(w)
  for (const [i, step] of steps.entries()) await p.run(step, i)
  await verify(p)
})

describe('concurrent model (issue 13)', () => {
  it(
    `programs of overlapping operations and faults keep every invariant (${SEED === undefined ? `${RUNS} runs` : `seed ${SEED}`})`,
    async () => {
      await fc.assert(property, {
        numRuns: SEED === undefined ? RUNS : 1,
        ...(SEED === undefined ? {} : { seed: SEED }),
        ...(PATH === undefined ? {} : { path: PATH }),
        endOnFailure: true,
        verbose: 1,
      })
    },
    Math.max(120_000, RUNS * 15_000),
  )
})
