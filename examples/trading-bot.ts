/**
 * Trading bot with order tracking: every order carries a label, `client.orders` always knows
 * each order's true state, and an order whose answer is lost is settled by its label, never
 * sent twice.
 *
 *   npx tsx examples/trading-bot.ts
 *
 * On the simulator the "lost answer" is real: `sim.faults.delayResponses` holds every answer
 * back longer than the order's own `timeoutMs`, so the client gives up waiting, asks the
 * exchange for the label (`private/get_order_state_by_label`) and resolves with what it finds.
 * On a real exchange (a testnet key!) the orders rest far below the market and are cancelled.
 */
import { DeribitClient, type Order } from 'deribit-session'
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
  client.on('order', (order: Order) =>
    step('order', `${order.label.padEnd(10)} ${order.order_state.padEnd(9)} ${order.amount} @ ${order.price}`),
  )
  await client.connect()
  await client.subscribe(`user.orders.${INSTRUMENT}.raw`)
  step('connected', `as ${client.subjectId ?? 'the main account'}, tracking user.orders.${INSTRUMENT}.raw`)

  // Rest bids well below the market so nothing fills.
  const ticker = await client.call<{ best_bid_price: number }>('public/ticker', { instrument_name: INSTRUMENT })
  const price = Math.floor((ticker.best_bid_price * 0.8) / 0.5) * 0.5

  // 1. A labelled order. The label is how the bot (and the client) find this intent again.
  const first = await client.buy({ instrument_name: INSTRUMENT, amount: 10, type: 'limit', price, label: 'bid-1' })
  check(client.orders.get(first.order.order_id)?.order_state === 'open', 'the tracker holds bid-1 as open')

  // 2. Edit it; the 'order' event shows the new price as soon as the answer or notification lands.
  const edited = nextEvent(client, 'order', (o) => o.order_id === first.order.order_id && o.price === price - 50)
  await client.edit({ order_id: first.order.order_id, amount: 10, price: price - 50 })
  await edited

  // 3. An order whose answer is lost.
  if (venue.sim) venue.sim.faults.delayResponses(800)
  const t0 = performance.now()
  const second = await client.buy(
    { instrument_name: INSTRUMENT, amount: 20, type: 'limit', price, label: 'bid-2' },
    { timeoutMs: 250 }, // on the simulator the answer comes after 800 ms: too late
  )
  const took = Math.round(performance.now() - t0)
  if (venue.sim) {
    venue.sim.faults.delayResponses(0)
    check(took >= 800, 'the answer really was late')
    step(
      'settled',
      `bid-2's answer missed its 250 ms timeout; the label lookup found ${second.order.order_id} (${took} ms)`,
    )
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
  const summary = await client.call<{ id: number }>('private/get_account_summary', { currency: 'BTC' })
  return summary.id
}
