/**
 * Trading bot with order tracking: every order carries a label, `client.orders` always knows
 * each order's true state, and an order whose answer is lost is settled by its label, never
 * sent twice.
 *
 *   npx tsx examples/trading-bot.ts
 *
 * On the simulator the "late answer" is real: `sim.faults.delayResponses` holds every answer
 * back longer than the order's own `timeoutMs`, so the call ends at its deadline with
 * OUTCOME_UNKNOWN (label and account named) and the tracker learns the order's state from the
 * exchange's own notifications; the order is never sent twice.
 * On a real exchange (a testnet key!) the orders rest far below the market and are cancelled.
 */
import { DeribitClient, OrderOutcomeUnknownError } from 'deribit-session'
import { check, nextEvent, openVenue, runExample, step } from './support.js'

const INSTRUMENT = 'BTC-PERPETUAL'

await runExample('trading-bot', async () => {
  await using venue = await openVenue({ needsKey: true })
  await using client = new DeribitClient({
    url: venue.url,
    ...(venue.credentials ? { credentials: venue.credentials } : {}),
  })
  // One line per order update, whether it came from a user.orders notification, a call's
  // answer or a reconciliation: the tracker merges them and never goes back in time.
  client.on('order', (order) =>
    step('order', `${order.label.padEnd(10)} ${order.order_state.padEnd(9)} ${order.amount} @ ${order.price}`),
  )
  await client.connect()
  await client.subscribe(`user.orders.${INSTRUMENT}.raw`)
  step('connected', `as ${client.subjectId ?? 'the main account'}, tracking user.orders.${INSTRUMENT}.raw`)

  // Rest bids well below the market so nothing fills.
  const ticker = await client.call('public/ticker', { instrument_name: INSTRUMENT })
  // No bid at all (an empty book) shows as null: fall back to the mark price.
  const price = Math.floor(((ticker.best_bid_price ?? ticker.mark_price) * 0.8) / 0.5) * 0.5

  // 1. A labelled order. The label is how the bot (and the client) find this intent again.
  const first = await client.buy({ instrument_name: INSTRUMENT, amount: 10, type: 'limit', price, label: 'bid-1' })
  check(client.orders.get(first.order.order_id)?.order_state === 'open', 'the tracker holds bid-1 as open')

  // 2. Edit it; the 'order' event shows the new price as soon as the answer or notification lands.
  const edited = nextEvent(client, 'order', (o) => o.order_id === first.order.order_id && o.price === price - 50)
  await client.edit({ order_id: first.order.order_id, amount: 10, price: price - 50 })
  await edited

  // 3. An order whose answer comes later than the bot is willing to wait. The call ends at its
  //    own deadline with OUTCOME_UNKNOWN, naming the label and the account; it is never sent again.
  //    The tracker's own user.orders channel then brings the truth in.
  if (venue.sim) venue.sim.faults.delayResponses(800)
  const t0 = performance.now()
  const learnt = nextEvent(client, 'order', (o) => o.label === 'bid-2')
  try {
    await client.buy(
      { instrument_name: INSTRUMENT, amount: 20, type: 'limit', price, label: 'bid-2' },
      { timeoutMs: 250 }, // on the simulator the answer comes after 800 ms: too late
    )
    step('placed', 'bid-2 answered in time (a fast venue)')
  } catch (error) {
    if (!(error instanceof OrderOutcomeUnknownError)) throw error
    const took = Math.round(performance.now() - t0)
    check(took < 600, "the call ended at its own deadline, not the exchange's")
    step('unknown', `bid-2 (${error.label}) on account ${error.subjectId}: outcome unknown after ${took} ms`)
  }
  const [order] = await learnt
  if (venue.sim) venue.sim.faults.delayResponses(0)
  step('settled', `the tracker learnt bid-2 is ${order.order_state} (${order.order_id}); nothing was re-sent`)
  if (venue.sim) {
    check(
      venue.sim.orderCount(await accountId(client), 'bid-2') === 1,
      'the exchange holds exactly one bid-2: nothing placed twice',
    )
  }
  check(client.orders.byLabel('bid-2').length === 1, 'the tracker holds bid-2 once')

  // 4. What the bot knows now, without asking the exchange.
  const open = client.orders.open().filter((o) => o.instrument_name === INSTRUMENT)
  step('open', open.map((o) => `${o.label} ${o.amount} @ ${o.price}`).join(', '))
  check(open.length === 2, 'two open orders')

  // 5. Cancel by label, then everything else; the tracker follows.
  check((await client.cancelByLabel('bid-2', { currency: 'BTC' })) === 1, 'one order carried bid-2')
  await client.cancelAll({ instrument_name: INSTRUMENT })
  check(client.orders.open().filter((o) => o.instrument_name === INSTRUMENT).length === 0, 'no order left open')
  step('flat', 'every order cancelled; the tracker agrees with the exchange')
})

/** The account id the client trades as (the simulator's oracle counts orders per account). */
async function accountId(client: DeribitClient): Promise<number> {
  if (client.subjectId !== undefined) return client.subjectId
  const summary = await client.call('private/get_account_summary', { currency: 'BTC' })
  return summary.id
}
