/**
 * Subaccount switcher: one connection moves between the main account and a subaccount with
 * `exchangeToken`, and the private (`user.*`) subscriptions follow it — after each switch they
 * deliver the events of the account the connection now is.
 *
 *   npx tsx examples/subaccount-switcher.ts
 *
 * On a real exchange set DERIBIT_SUBACCOUNT_ID as well as DERIBIT_URL and the main account's
 * DERIBIT_CLIENT_ID / DERIBIT_CLIENT_SECRET.
 */
import { DeribitClient } from 'deribit-session'
import { check, nextEvent, openVenue, runExample, step } from './support.js'

const INSTRUMENT = 'BTC-PERPETUAL'

await runExample('subaccount-switcher', async () => {
  await using venue = await openVenue({ subaccounts: 1, needsKey: true })
  const subaccount = venue.subaccountIds[0]
  check(subaccount !== undefined, 'a subaccount to switch to (DERIBIT_SUBACCOUNT_ID on a real exchange)')

  await using client = new DeribitClient({
    url: venue.url,
    ...(venue.credentials ? { credentials: venue.credentials } : {}),
  })
  client.on('transition', (t) =>
    step(
      t.kind,
      `subject ${t.from?.subjectId ?? '-'} → ${t.to.subjectId}: resubscribed ${t.resubscribed}, reconciled ${t.reconciled} (${t.ms} ms)`,
    ),
  )
  await client.connect()
  const summary = await client.call('private/get_account_summary', { currency: 'BTC' })
  const main = summary.id

  // Subscribed once, as the main account. Each notification is tagged with the subject the
  // connection was at the moment it arrived.
  const seen: Array<{ label: string; state: string; subject: number | undefined }> = []
  // A `.raw` user.orders channel delivers one order per notification (its type says so).
  await client.subscribe('user.orders.any.any.raw', (order) => {
    seen.push({ label: order.label, state: order.order_state, subject: client.subjectId })
    step('user.orders', `${order.label} ${order.order_state} (connection is subject ${client.subjectId})`)
  })

  const ticker = await client.call('public/ticker', { instrument_name: INSTRUMENT })
  // No bid at all (an empty book) shows as null: fall back to the mark price.
  const price = Math.floor(((ticker.best_bid_price ?? ticker.mark_price) * 0.8) / 0.5) * 0.5
  /** Rests a bid as whoever the connection is now and waits for its user.orders event. */
  const rest = async (label: string) => {
    const arrived = nextEvent(client, 'order', (o) => o.label === label)
    await client.buy({ instrument_name: INSTRUMENT, amount: 10, type: 'limit', price, label })
    await arrived
  }

  await rest('main-1')

  // Switch to the subaccount: the same user.orders subscription now carries its events.
  await client.exchangeToken(subaccount)
  check(client.subjectId === subaccount, 'the connection is the subaccount')
  await rest('sub-1')
  await waitUntil(() => seen.some((s) => s.label === 'sub-1'))
  check(seen.find((s) => s.label === 'sub-1')?.subject === subaccount, "sub-1's event arrived while on the subaccount")
  check(
    client.orders.forSubject(subaccount).some((o) => o.label === 'sub-1'),
    'the tracker files sub-1 under the subaccount',
  )
  await client.cancelByLabel('sub-1', { currency: 'BTC' })

  // And back: the main account's orders were kept and reconciled with the exchange.
  await client.exchangeToken(main)
  check(client.subjectId === main, 'the connection is the main account again')
  const mainOpen = client.orders.open().filter((o) => client.orders.subjectOf(o.order_id) === main)
  step('main open', mainOpen.map((o) => o.label).join(', '))
  check(
    mainOpen.some((o) => o.label === 'main-1'),
    'main-1 is still open and tracked',
  )
  await client.cancelByLabel('main-1', { currency: 'BTC' })
  await waitUntil(() => seen.some((s) => s.label === 'main-1' && s.state === 'cancelled'))
  check(
    seen.find((s) => s.label === 'main-1' && s.state === 'cancelled')?.subject === main,
    "main-1's cancellation arrived on the main account's stream",
  )
})

/** Polls `condition` every 20 ms for up to 3 s. */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 3000) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
