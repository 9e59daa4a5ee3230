/**
 * A scenario's world: simulator, fault proxy, one client between them, and the oracle
 * bookkeeping (canary logger, resource baseline, promise watch, order ledger). `verify()` runs
 * every shared oracle after healing, then closes the client and checks that its timers and
 * sockets are gone.
 */
import type { DeribitClientOptions } from '../../src/client/options.js'
import { DeribitClient } from '../../src/client.js'
import type { OrderParams } from '../../src/orders/orderEntry.js'
import type { OrderResult } from '../../src/protocol/types.js'
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js'
import { waitFor } from '../client/harness.js'
import { type FaultProxy, startFaultProxy } from '../support/faultProxy.js'
import {
  activeResources,
  canaryAbsent,
  collectWarnings,
  expectVerdicts,
  noIdReused,
  OrderLedger,
  onePerLabel,
  PromiseWatch,
  type ResourceCounts,
  ResourceTracker,
  recordingLogger,
  resourcesBackToBaseline,
  sleep,
  subscriptionsMatch,
  tokensOf,
  trackerEqualsExchange,
  type Verdict,
} from './oracles.js'

export interface Rig extends AsyncDisposable {
  sim: Simulator
  proxy: FaultProxy
  client: DeribitClient
  account: { clientId: string; clientSecret: string; mainAccountId: number; subaccountIds: number[] }
  subA: number
  lines: string[]
  watch: PromiseWatch
  ledger: OrderLedger
  baseline: ResourceCounts
  /** A resting limit buy (far below the market) under `label`, tracked by the ledger and the watch. */
  bid(
    label: string,
    options?: { timeoutMs?: number; accounts?: number | number[]; extra?: Partial<OrderParams> },
  ): Promise<OrderResult>
  /** Heals every fault and waits until the client is ready on exactly one connection. */
  heal(timeoutMs?: number): Promise<void>
  /**
   * Runs the shared oracles (after waiting for the eventual ones to hold), closes the client, and
   * checks that timers, sockets and listeners are back to the baseline.
   */
  verify(options?: VerifyOptions): Promise<void>
}

export interface VerifyOptions {
  /** Accounts whose open orders the tracker must equal. @default main account and subA */
  subjects?: number[]
  /** Skip the subscription oracle (scenarios where the client ends closed). */
  skipSubscriptions?: boolean
  /** Extra secrets for the canary check. */
  secrets?: string[]
  /** Deadline for the watched promises. @default 8000 */
  settleMs?: number
  /** Runs after the client closed, before the resource check (close stores and extra clients here). */
  afterClose?: () => Promise<void>
}

export interface RigOptions {
  sim?: SimulatorOptions
  client?: Partial<DeribitClientOptions>
  /** No `sessionName`: connection-scoped tokens. @default false */
  connectionScope?: boolean
}

/** Price far below the market: a bid that rests. */
export const RESTING_PRICE = 1000

export async function startRig(options: RigOptions = {}): Promise<Rig> {
  const sim = await startSimulator({ seed: 7, minHeartbeatIntervalSec: 1, marketRateHz: 50, ...options.sim })
  const proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: sim.port } })
  const account = sim.createAccount({ subaccounts: 1 })
  const { logger, lines } = recordingLogger()
  const warnings = collectWarnings()
  // Taken before the client exists: whatever the client adds must be gone after it closes.
  const baseline = await quietResources()
  const tracker = new ResourceTracker().start()
  const client = new DeribitClient({
    url: proxy.url('/ws/api/v2'),
    credentials: { clientId: account.clientId, clientSecret: account.clientSecret },
    ...(options.connectionScope ? {} : { sessionName: 'bot' }),
    heartbeatIntervalSec: 1,
    requestTimeoutMs: 1500,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    logger,
    ...options.client,
  })
  const watch = new PromiseWatch()
  const ledger = new OrderLedger()
  let verified = false

  const rig: Rig = {
    sim,
    proxy,
    client,
    account,
    subA: account.subaccountIds[0] as number,
    lines,
    watch,
    ledger,
    baseline,
    bid(label, opts = {}) {
      const attempt = client.buy(
        { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'limit', price: RESTING_PRICE, label, ...opts.extra },
        opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs },
      )
      return watch.watch(`buy ${label}`, ledger.track(label, opts.accounts ?? account.mainAccountId, attempt))
    },
    async heal(timeoutMs = 8000) {
      await proxy.heal()
      sim.faults.reset()
      await waitFor(
        () => client.state === 'ready' && sim.log.connections().filter((c) => c.open).length === 1,
        'the client ready on one connection',
        timeoutMs,
      )
    },
    async verify(opts = {}) {
      const subjects = opts.subjects ?? [account.mainAccountId, rig.subA]
      const settled = await watch.allSettled(opts.settleMs ?? 8000)
      // The eventual oracles: reconciliation and resubscription run after 'ready'; give them time.
      const eventual = (): Verdict[] => [
        ...subjects.map((s) => trackerEqualsExchange(client, sim, s)),
        ...(opts.skipSubscriptions ? [] : [subscriptionsMatch(client, sim)]),
      ]
      let verdicts = eventual()
      const end = Date.now() + 5000
      while (verdicts.some((v) => v.problems.length > 0) && Date.now() < end) {
        await sleep(25)
        verdicts = eventual()
      }
      const secrets = [account.clientSecret, ...tokensOf(client), ...(opts.secrets ?? [])]
      expectVerdicts(settled, onePerLabel(sim, ledger), ...verdicts, noIdReused(sim))
      await client.close()
      await opts.afterClose?.()
      verified = true
      // Closing the client closes its sockets; the proxy's and the simulator's halves follow.
      await waitFor(() => proxy.connections === 0, 'the proxy to see every connection closed', 3000)
      const sockets = await resourcesBackToBaseline(baseline, {
        timeoutMs: 3000,
        only: ['TCPSocketWrap', 'TCPServerWrap'],
      })
      const created = await tracker.released(3000)
      tracker.stop()
      expectVerdicts(
        sockets,
        created,
        canaryAbsent(lines, secrets),
        { oracle: 'client listeners released', problems: client.listenerCount('state') > 0 ? ['state'] : [] },
        warnings.stop(),
      )
    },
    async [Symbol.asyncDispose]() {
      if (!verified) warnings.stop()
      tracker.stop()
      await client.close()
      await proxy.close()
      await sim.close()
    },
  }
  return rig
}

/** The smallest count of each resource type over a few samples: transient start-up timers are not baseline. */
async function quietResources(): Promise<ResourceCounts> {
  let quiet = activeResources()
  for (let i = 0; i < 5; i++) {
    await sleep(10)
    const now = activeResources()
    quiet = Object.fromEntries(Object.keys(quiet).map((type) => [type, Math.min(quiet[type] ?? 0, now[type] ?? 0)]))
  }
  return quiet
}
