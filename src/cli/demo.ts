import type { TransitionEvent } from '../client/events.js'
import { DeribitClient } from '../client.js'
import type { Order } from '../protocol/types.js'
import { startSimulator } from '../simulator/index.js'

/** Channels the demo watches for stalls: each must deliver again after every step. */
const PUBLIC_STREAMS = ['book.BTC-PERPETUAL.100ms', 'trades.BTC-PERPETUAL.100ms', 'ticker.BTC-PERPETUAL.100ms'] as const
const ORDERS_CHANNEL = 'user.orders.any.any.raw'
const STALL_LIMIT_MS = 3000

/**
 * The scripted bot behind `npm start`: an embedded simulator, one client, and the whole story —
 * signature auth, subscriptions, orders, exchange to a subaccount, fork into a named session,
 * refresh, an abrupt drop, a half-open socket, logout — printing one line per transition and
 * ending with checks that no stream stalled and no order was lost or placed twice.
 * Resolves with the exit code: 0 only when every check holds.
 */
export async function runDemo(argv: readonly string[]): Promise<number> {
  const json = argv.includes('--json')
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  const print = (text: string) => {
    if (!json) process.stdout.write(`${text}\n`)
  }
  const row = (what: string, detail: string) =>
    print(`${String(elapsed()).padStart(6)} ms  ${what.padEnd(13)} ${detail}`)
  const failures: string[] = []

  await using sim = await startSimulator({ seed: 7, minHeartbeatIntervalSec: 1, marketRateHz: 100 })
  const account = sim.createAccount({ subaccounts: 2 })
  const [subA] = account.subaccountIds
  if (subA === undefined) throw new Error('the simulator created no subaccount')
  print(
    `simulator on ${sim.url}  (main account ${account.mainAccountId}, subaccounts ${account.subaccountIds.join(', ')})`,
  )

  await using client = new DeribitClient({
    url: sim.url,
    credentials: { clientId: account.clientId, clientSecret: account.clientSecret },
    sessionName: 'demo',
    heartbeatIntervalSec: 1,
    requestTimeoutMs: 5000,
    reconnect: { initialDelayMs: 50, maxDelayMs: 1000 },
  })

  const lastSeen = new Map<string, number>()
  const ordersSeen = new Map<string, Order>()
  client.on('transition', (event: TransitionEvent) =>
    row(
      event.kind,
      `${event.cause.padEnd(9)} subject ${event.from?.subjectId ?? '-'} → ${event.to.subjectId ?? '-'}  session ${
        event.to.sessionName ?? 'connection'
      }  resubscribed ${event.resubscribed}  reconciled ${event.reconciled}  ${event.ms} ms`,
    ),
  )
  client.on('gap', (event) => row('gap', `${event.channel}: resubscribing for a fresh snapshot`))
  client.on('state', (state) => {
    if (state === 'reconnecting') row('reconnecting', 'socket lost; backing off')
  })

  await client.connect()
  row('connected', `signature auth as subject ${client.subjectId} (session ${client.session?.sessionName})`)
  const book = await client.orderBook('BTC-PERPETUAL', { interval: '100ms' })
  book.on('update', () => lastSeen.set('book.BTC-PERPETUAL.100ms', performance.now()))
  await client.subscribe(PUBLIC_STREAMS.slice(1), (_data, channel) => lastSeen.set(channel, performance.now()))
  await client.subscribe([ORDERS_CHANNEL], (order) => {
    ordersSeen.set(`${order.order_id}:${order.last_update_timestamp}`, order)
  })
  row('subscribed', [...PUBLIC_STREAMS, ORDERS_CHANNEL].join(' '))

  const labels: Array<{ label: string; subject: number }> = []
  /** Rests a bid far below the market and waits for its user.orders event: proof the private stream follows the subject. */
  const restAnOrder = async (tag: string) => {
    const subject = client.subjectId ?? account.mainAccountId
    const bid = book.bestBid()?.[0] ?? 50_000
    const price = Math.floor((bid * 0.8) / 0.5) * 0.5
    const { order } = await client.buy({
      instrument_name: 'BTC-PERPETUAL',
      amount: 10,
      type: 'limit',
      price,
      label: `demo-${tag}`,
    })
    labels.push({ label: order.label, subject })
    const seen = await waitFor(() => [...ordersSeen.values()].some((o) => o.order_id === order.order_id), 3000)
    if (!seen) failures.push(`no user.orders event for ${order.label} on subject ${subject}`)
    row('order', `${order.label} ${order.order_state} on subject ${subject}${seen ? ' (user.orders delivered)' : ''}`)
  }
  const checkStreams = async (step: string) => {
    const since = performance.now()
    const ok = await waitFor(() => PUBLIC_STREAMS.every((c) => (lastSeen.get(c) ?? 0) > since), STALL_LIMIT_MS)
    if (!ok) {
      const stalled = PUBLIC_STREAMS.filter((c) => (lastSeen.get(c) ?? 0) <= since)
      failures.push(`after ${step}: stalled ${stalled.join(', ')}`)
    }
  }

  await restAnOrder('main-1')
  await client
    .sell({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market', label: 'demo-main-mkt' })
    .then(({ order }) => {
      labels.push({ label: order.label, subject: account.mainAccountId })
      row('order', `${order.label} ${order.order_state} (market)`)
    })
  await checkStreams('connect')

  await client.exchangeToken(subA)
  await checkStreams('exchange')
  await restAnOrder('sub-1')

  await client.forkToken('demo-fork')
  await checkStreams('fork')
  await restAnOrder('fork-1')

  await client.refreshToken()
  await checkStreams('refresh')

  row('fault', 'abrupt drop of every connection')
  sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
  await waitFor(() => client.state === 'ready' && sim.log.connections().filter((c) => c.open).length === 1, 10_000)
  await checkStreams('drop')
  await restAnOrder('after-drop')

  row('fault', 'half-open socket: the exchange stops reading and writing, no FIN')
  sim.faults.halfOpen('all')
  await waitFor(() => client.state === 'reconnecting', 10_000)
  await waitFor(() => client.state === 'ready', 10_000)
  await checkStreams('half-open')

  await client.exchangeToken(account.mainAccountId)
  await checkStreams('exchange back')
  await restAnOrder('main-2')

  // Oracles: each label exactly once at the exchange; the tracker equals the exchange's open orders.
  for (const { label, subject } of labels) {
    const count = sim.orderCount(subject, label)
    if (count !== 1) failures.push(`label ${label} exists ${count} times on subject ${subject}`)
  }
  for (const subject of [account.mainAccountId, subA]) {
    const exchangeOpen = new Set((sim.openOrders(subject) as Order[]).map((o) => o.order_id))
    const tracked = new Set(
      client.orders
        .forSubject(subject)
        .filter((o) => o.order_state === 'open' || o.order_state === 'untriggered')
        .map((o) => o.order_id),
    )
    const missing = [...exchangeOpen].filter((id) => !tracked.has(id))
    const extra = [...tracked].filter((id) => !exchangeOpen.has(id))
    if (missing.length + extra.length > 0) {
      failures.push(`subject ${subject}: tracker differs from exchange (missing ${missing}, extra ${extra})`)
    }
  }
  row('reconciled', `tracker equals the exchange's open orders on ${labels.length} labelled orders`)

  await client.logout()
  row('logout', `state ${client.state}; tokens invalidated`)
  await book.close().catch(() => undefined)

  const took = elapsed()
  if (json) process.stdout.write(`${JSON.stringify({ ok: failures.length === 0, failures, ms: took })}\n`)
  else if (failures.length === 0) print(`\nOK: no stream stalled, no order lost or placed twice (${took} ms)`)
  else print(`\nFAILED:\n- ${failures.join('\n- ')}`)
  return failures.length === 0 ? 0 : 1
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs
  while (!condition()) {
    if (performance.now() > deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}
