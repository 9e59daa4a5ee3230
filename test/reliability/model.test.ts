/**
 * Model-based reliability test (issue 7). fast-check drives random sequences of subscribe,
 * unsubscribe, buy, cancel, refresh, exchange, fork, drop, reset, half-open and market ticks
 * against a real client, fault proxy and simulator (`fc.asyncModelRun`); invariants are checked
 * after every step, and the full oracle set after healing. A second property uses `fc.scheduler`
 * to permute when a refresh, a reconnect and an order start, and in which order the exchange's
 * answers reach the client.
 *
 * Bounded for CI: fixed seeds plus a few random runs. A failure prints its seed and path; replay
 * it with `MODEL_SEED=<seed> MODEL_PATH=<path> npx vitest run test/reliability/model.test.ts`
 * (add `MODEL_PROPERTY=scheduler` for the interleaving property). `MODEL_RUNS=<n>` and
 * `MODEL_SCHEDULER_RUNS=<n>` run more cases.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { duplicateSubscribes, expectVerdicts, noIdReused, type OrderLedger, type Verdict } from './oracles.js'
import { type Rig, startRig } from './rig.js'

const CHANNELS = [
  'ticker.BTC-PERPETUAL.100ms',
  'book.BTC-PERPETUAL.100ms',
  'trades.BTC-PERPETUAL.100ms',
  'ticker.ETH-PERPETUAL.100ms',
  'user.orders.any.any.raw',
  'user.trades.any.any.raw',
] as const

const SEED = process.env.MODEL_SEED === undefined ? undefined : Number(process.env.MODEL_SEED)
const PATH = process.env.MODEL_PATH
const RANDOM_RUNS = Number(process.env.MODEL_RUNS ?? 3)
/** Interleavings tried (`MODEL_SCHEDULER_RUNS`); with MODEL_SEED, from that seed. */
const SCHEDULER_RUNS = Number(process.env.MODEL_SCHEDULER_RUNS ?? 4)
/** Fixed seeds run on every CI build; random ones add a little coverage each time. */
const FIXED_SEEDS = [42, 1337, 20240607]

type Subject = 'main' | 'sub'

/**
 * What the client should want. Private (`user.*`) channels belong to a subject: an exchange to a
 * subject seen before restores that subject's set; to a new one, it carries the current set over.
 */
interface Model {
  pub: Set<string>
  priv: Map<Subject, Set<string>>
  /** Subjects whose private set a failed exchange may or may not have created (read from the client on arrival). */
  uncertain: Set<Subject>
  subject: Subject
  labels: number
  forks: number
}

/** The order tracker's own channel: the client keeps it under every identity it signs in as. */
const TRACKER_CHANNEL = 'user.orders.any.any.raw'

function desired(m: Model): Set<string> {
  return new Set([...m.pub, ...(m.priv.get(m.subject) ?? []), TRACKER_CHANNEL])
}

function setFor(m: Model, channel: string): Set<string> {
  if (!channel.startsWith('user.')) return m.pub
  let set = m.priv.get(m.subject)
  if (!set) {
    set = new Set()
    m.priv.set(m.subject, set)
  }
  return set
}

/** Per-step invariants: cheap, and true even in the middle of a fault. */
function stepInvariants(rig: Rig, model: Model): Verdict[] {
  const wanted = [...desired(model)].sort()
  const actual = [...rig.client.channels].sort()
  return [
    { oracle: 'client desired set equals the model', problems: sameList(wanted, actual) },
    noIdReused(rig.sim),
    {
      oracle: 'no channel subscribed twice on a connection',
      problems: rig.sim.log
        .connections()
        .flatMap(({ id }) => duplicateSubscribes(rig.sim, id).map((c) => `${id}: ${c}`)),
    },
    settledLabels(rig, rig.ledger),
    {
      oracle: 'Object.prototype untouched',
      problems: Object.keys(Object.prototype).length === 0 ? [] : Object.keys(Object.prototype),
    },
  ]
}

function sameList(a: string[], b: string[]): string[] {
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [`model ${JSON.stringify(a)} vs client ${JSON.stringify(b)}`]
}

/** One order per label, checked for the attempts settled so far (a pending one may be 0 or 1). */
function settledLabels(rig: Rig, ledger: OrderLedger): Verdict {
  const problems: string[] = []
  for (const label of ledger.labels) {
    const count = ledger.accountsOf(label).reduce((n, a) => n + rig.sim.orderCount(a, label), 0)
    const outcome = ledger.outcome(label)
    if (count > 1) problems.push(`${label}: ${count} orders on the exchange`)
    if (outcome?.kind === 'placed' && count !== 1) problems.push(`${label}: placed but ${count} on the exchange`)
    if (outcome?.kind === 'rejected' && count !== 0) problems.push(`${label}: rejected but ${count} on the exchange`)
  }
  return { oracle: 'one order per label (so far)', problems }
}

/** Runs a client action; errors are expected under faults, but must be typed DeribitErrors. */
async function attempt(rig: Rig, name: string, action: () => Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  // Every client promise must settle: one that hangs fails the run (with its seed) instead of the test timeout.
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${name} did not settle within ${ACTION_DEADLINE_MS} ms`)),
      ACTION_DEADLINE_MS,
    )
  })
  try {
    await Promise.race([rig.watch.watch(name, action()), hung])
    return true
  } catch (error) {
    expect(error, `${name} failed with an untyped error: ${String(error)}`).toHaveProperty('code')
    return false
  } finally {
    clearTimeout(timer)
  }
}

/** Longest any single client action may take under the faults of this test (timeouts are 1 s). */
const ACTION_DEADLINE_MS = 12_000

type Cmd = fc.AsyncCommand<Model, Rig>

const command = (
  name: string,
  run: (m: Model, r: Rig) => Promise<void>,
  check: (m: Model) => boolean = () => true,
): Cmd => ({
  check,
  async run(m, r) {
    await run(m, r)
    expectVerdicts(...stepInvariants(r, m))
  },
  toString: () => name,
})

const commands = [
  fc.constantFrom(...CHANNELS).map((channel) =>
    command(`subscribe ${channel}`, async (m, r) => {
      if (await attempt(r, `subscribe ${channel}`, () => r.client.subscribe([channel]))) setFor(m, channel).add(channel)
    }),
  ),
  fc.constantFrom(...CHANNELS).map((channel) =>
    command(
      `unsubscribe ${channel}`,
      async (m, r) => {
        setFor(m, channel).delete(channel)
        await attempt(r, `unsubscribe ${channel}`, () => r.client.unsubscribe(channel))
      },
      (m) => desired(m).has(channel),
    ),
  ),
  fc.constant(
    command('buy', async (m, r) => {
      const label = `m-${++m.labels}`
      await attempt(r, `buy ${label}`, () => r.bid(label, { accounts: [r.account.mainAccountId, r.subA] }))
    }),
  ),
  fc.constant(
    command('cancel', async (_m, r) => {
      const open = r.client.orders.open()[0]
      if (open) await attempt(r, `cancel ${open.order_id}`, () => r.client.cancel(open.order_id))
    }),
  ),
  fc.constant(command('refresh', async (_m, r) => void (await attempt(r, 'refresh', () => r.client.refreshToken())))),
  fc.constant(
    command('exchange', async (m, r) => {
      const target: Subject = m.subject === 'main' ? 'sub' : 'main'
      const to = target === 'sub' ? r.subA : r.account.mainAccountId
      if (!(await attempt(r, 'exchange', () => r.client.exchangeToken(to)))) {
        if (!m.priv.has(target)) m.uncertain.add(target)
        return
      }
      if (m.uncertain.delete(target)) {
        m.priv.set(target, new Set(r.client.channels.filter((c) => c.startsWith('user.'))))
      } else if (!m.priv.has(target)) {
        m.priv.set(target, new Set(m.priv.get(m.subject) ?? []))
      }
      m.subject = target
    }),
  ),
  fc.constant(
    command(
      'fork',
      async (m, r) => {
        m.forks++
        await attempt(r, 'fork', () => r.client.forkToken(`fork-${m.forks}`))
      },
      (m) => m.forks < 4,
    ),
  ),
  fc.constant(command('drop', async (_m, r) => void r.sim.faults.dropConnections({ which: 'all', mode: 'terminate' }))),
  fc.constant(command('reset', async (_m, r) => void r.proxy.reset())),
  fc.constant(
    command('half-open 200 ms', async (_m, r) => {
      r.proxy.halfOpen()
      await new Promise((resolve) => setTimeout(resolve, 200))
      await r.proxy.heal()
    }),
  ),
  fc.constant(command('market tick', async (_m, r) => void (await r.sim.market.burstTrades('BTC-PERPETUAL', 3)))),
]

/** After a sequence: heal, then the full oracle set (closes the rig's client). */
async function healAndVerify(rig: Rig, model: Model): Promise<void> {
  await rig.heal(10_000)
  // Whatever the subject switches did, the client ends on the subject the model expects.
  const subject = model.subject === 'main' ? rig.account.mainAccountId : rig.subA
  expect(rig.client.subjectId ?? rig.account.mainAccountId).toBe(subject)
  await rig.verify()
}

const modelProperty = fc.asyncProperty(fc.commands(commands, { maxCommands: 12, size: 'max' }), async (cmds) => {
  await using rig = await startRig({ client: { requestTimeoutMs: 1000 } })
  await rig.client.connect()
  const model: Model = {
    pub: new Set(),
    priv: new Map([['main', new Set()]]),
    uncertain: new Set(),
    subject: 'main',
    labels: 0,
    forks: 0,
  }
  await fc.asyncModelRun(() => ({ model, real: rig }), cmds)
  if (process.env.MODEL_DEBUG) console.log(`ran: ${String(cmds)}`)
  await healAndVerify(rig, model)
})

/**
 * A WebSocket whose incoming JSON-RPC answers are released in an order the scheduler picks
 * (until `control.passthrough`).
 */
function schedulingWebSocket(s: fc.Scheduler, control: { passthrough: boolean }): typeof WebSocket {
  class Scheduled extends WebSocket {
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      const text = event === 'message' ? String(args[0]) : ''
      if (!control.passthrough && /"id":\d/.test(text) && !text.includes('"method"')) {
        void s.schedule(Promise.resolve(), 'answer').then(() => super.emit(event, ...args))
        return true
      }
      return super.emit(event, ...args)
    }
  }
  return Scheduled
}

const interleavingProperty = fc.asyncProperty(fc.scheduler(), async (s) => {
  const control = { passthrough: false }
  await using rig = await startRig({ client: { WebSocket: schedulingWebSocket(s, control), requestTimeoutMs: 1500 } })
  const { client, sim } = rig
  await client.subscribe(['user.orders.any.any.raw'])
  const started: Array<Promise<unknown>> = [attempt(rig, 'connect', () => client.connect())]
  // The three actions start in an order the scheduler picks, interleaved with answer deliveries.
  started.push(
    s.schedule(Promise.resolve(), 'refresh').then(() => attempt(rig, 'refresh', () => client.refreshToken())),
    s.schedule(Promise.resolve(), 'drop').then(() => sim.faults.dropConnections({ which: 'all', mode: 'terminate' })),
    s.schedule(Promise.resolve(), 'buy').then(() => attempt(rig, 'buy', () => rig.bid('sched-1'))),
  )
  let done = false
  void Promise.allSettled(started).then(() => {
    done = true
  })
  const deadline = Date.now() + 20_000
  while (!done && Date.now() < deadline) {
    await s.waitAll()
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  expect(done, 'the actions settle').toBe(true)
  // From here answers flow as they come; the held ones are released.
  control.passthrough = true
  await s.waitAll()
  await rig.heal()
  await rig.verify()
})

function params(runs: number, seed?: number): fc.Parameters<unknown> {
  return {
    numRuns: runs,
    ...(seed === undefined ? {} : { seed }),
    ...(PATH === undefined ? {} : { path: PATH }),
    endOnFailure: true,
    verbose: 1,
  }
}

describe('model-based reliability', () => {
  if (SEED !== undefined) {
    it(`replays MODEL_SEED=${SEED}${PATH ? ` MODEL_PATH=${PATH}` : ''}`, async () => {
      await fc.assert(
        process.env.MODEL_PROPERTY === 'scheduler' ? interleavingProperty : modelProperty,
        params(1, SEED),
      )
    }, 120_000)
    return
  }
  for (const seed of FIXED_SEEDS) {
    it(`random command sequences, fixed seed ${seed}`, async () => {
      await fc.assert(modelProperty, params(3, seed))
    }, 60_000)
  }
  it(
    `random command sequences, ${RANDOM_RUNS} random runs`,
    async () => {
      await fc.assert(modelProperty, params(RANDOM_RUNS))
    },
    Math.max(60_000, RANDOM_RUNS * 15_000),
  )
  it('interleavings of refresh, reconnect and order answers (fc.scheduler)', async () => {
    await fc.assert(interleavingProperty, params(SCHEDULER_RUNS, SEED ?? FIXED_SEEDS[0]))
  }, 60_000)
})
