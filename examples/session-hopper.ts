/**
 * A subaccount-switching bot: one client holds a main-account session and two subaccount
 * sessions, and hops between them under live order flow with `switchSession` — no token
 * exchange per hop. For each hop it prints the time taken and the round trips it cost, next to
 * what the first visit (an exchange) cost.
 *
 *   npx tsx examples/session-hopper.ts
 */
import { DeribitClient, type Order } from 'deribit-session'
import { startSimulator } from 'deribit-session/simulator'

await using sim = await startSimulator({ marketRateHz: 50 })
const account = sim.createAccount({ subaccounts: 2 })
await using client = new DeribitClient({
  url: sim.url,
  credentials: { clientId: account.clientId, clientSecret: account.clientSecret },
  sessionName: 'hopper',
})
await client.connect()

// Live order flow: every account's order events, following whichever session is active.
const events: Order[] = []
await client.subscribe(['user.orders.any.any.raw'], (order) => events.push(order))

/** Frames this client wrote during `work`: each request is one round trip (they are answered in parallel). */
async function measure(work: () => Promise<unknown>): Promise<{ ms: number; requests: number }> {
  const before = sim.log.allFrames().length
  const started = performance.now()
  await work()
  const ms = performance.now() - started
  const frames = sim.log
    .allFrames()
    .slice(before)
    .filter((f) => !f.text.includes('"public/test"'))
  return { ms, requests: frames.length }
}

/** Rests one bid on the active subject and waits for its user.orders event. */
async function trade(tag: string): Promise<void> {
  const { order } = await client.buy({
    instrument_name: 'BTC-PERPETUAL',
    amount: 10,
    type: 'limit',
    price: 1000,
    label: `hop-${tag}`,
  })
  while (!events.some((e) => e.order_id === order.order_id)) await new Promise((r) => setTimeout(r, 5))
}

const sessions = new Map<number, string>()
sessions.set(account.mainAccountId, client.session!.id)
const firstVisits: Array<{ ms: number; requests: number }> = []
for (const subject of account.subaccountIds) {
  // First visit to a subaccount: a real token exchange. Afterwards the session is held.
  const cost = await measure(() => client.exchangeToken(subject))
  firstVisits.push(cost)
  sessions.set(subject, client.session!.id)
  await trade(`first-${subject}`)
  console.log(`exchange  → ${subject}  ${cost.ms.toFixed(1)} ms, ${cost.requests} requests`)
}

const order = [account.mainAccountId, ...account.subaccountIds]
const exchangeRequests = Math.max(...firstVisits.map((v) => v.requests))
let saved = 0
for (let hop = 0; hop < 9; hop++) {
  const subject = order[hop % order.length] as number
  const cost = await measure(() => client.switchSession(sessions.get(subject)!))
  saved += exchangeRequests - cost.requests
  await trade(`hop${hop}`)
  console.log(
    `switch    → ${subject}  ${cost.ms.toFixed(1)} ms, ${cost.requests} requests (${exchangeRequests - cost.requests} fewer than an exchange)`,
  )
}

const held = client.heldSessions()
console.log(`\nheld sessions: ${held.map((h) => `${h.subjectId}${h.active ? '*' : ''}`).join(', ')}`)
console.log(
  `exchange_token calls: ${sim.stats.exchangeTokens} (one per subaccount, none per hop); requests saved: ${saved}`,
)
const ok = sim.stats.exchangeTokens === account.subaccountIds.length && held.length === 3 && saved > 0
console.log(ok ? 'OK' : 'FAILED')
process.exitCode = ok ? 0 : 1
