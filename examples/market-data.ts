/**
 * Market-data consumer: a live local order book that survives gaps.
 *
 *   npx tsx examples/market-data.ts
 *
 * `client.orderBook()` subscribes `book.BTC-PERPETUAL.100ms`, applies the snapshot and every
 * change in `change_id` order, and when a change does not follow the previous one (a gap) it
 * throws the stale book away, resubscribes for a fresh snapshot and rebuilds. On the simulator
 * we inject such a gap with `sim.faults.skipChangeId`; on a real exchange gaps are rare, so the
 * example just shows the live book.
 */
import { DeribitClient, type LocalOrderBook } from 'deribit-session'
import { check, nextEvent, openVenue, runExample, step } from './support.js'

const INSTRUMENT = 'BTC-PERPETUAL'

await runExample('market-data', async () => {
  await using venue = await openVenue({ simulator: { marketRateHz: 50 } })
  // Market data is public: no credentials needed.
  await using client = new DeribitClient({ url: venue.url })
  client.on('resubscribed', (event) => step('resubscribed', `${event.channels.join(' ')} after ${event.reason}`))
  await client.connect()
  step('connected', venue.url)

  const book = await client.orderBook(INSTRUMENT, { interval: '100ms' })
  // Listeners run before the client resets the book, so `book.changeId` is still the last applied change.
  client.on('gap', (gap) =>
    step('gap', `${gap.channel}: a change with prev_change_id ${gap.prevChangeId} does not follow #${book.changeId}`),
  )
  // The book is stale until its first snapshot arrives.
  if (book.stale) await nextEvent(book, 'update', () => !book.stale)
  step('snapshot', describeTop(book))

  // A few changes, each applied only if its prev_change_id is the last change_id.
  for (let i = 0; i < 3; i++) {
    const [{ change }] = await nextEvent(book, 'update')
    step('change', `#${change.change_id} (prev ${change.prev_change_id})  ${describeTop(book)}`)
  }

  if (venue.sim) {
    const before = book.changeId
    // The next change the exchange publishes skips a change_id: exactly what a lost message looks like.
    const gap = nextEvent(client, 'gap')
    const rebuilt = nextEvent(book, 'update', ({ change }) => change.type === 'snapshot')
    venue.sim.faults.skipChangeId(INSTRUMENT)
    await gap
    check(book.stale, 'the book is marked stale at the gap, so nobody reads a wrong price')
    await rebuilt
    check(!book.stale && book.changeId !== before, 'a fresh snapshot rebuilt the book')
    step('rebuilt', `from snapshot #${book.changeId}  ${describeTop(book)}`)
    const [{ change }] = await nextEvent(book, 'update')
    step('change', `#${change.change_id} (prev ${change.prev_change_id}): the chain continues`)
  }

  check(book.bids(5).length > 0 && book.asks(5).length > 0, 'the book has both sides')
  const spread = (book.bestAsk()?.[0] ?? 0) - (book.bestBid()?.[0] ?? 0)
  check(spread > 0, 'best ask is above best bid')
  console.log('\n  bids              asks')
  const bids = book.bids(3)
  const asks = book.asks(3)
  for (let i = 0; i < 3; i++) console.log(`  ${level(bids[i])}  ${level(asks[i])}`)
  console.log()
  await book.close()
})

function describeTop(book: LocalOrderBook): string {
  return `best bid ${book.bestBid()?.[0] ?? '-'} / ask ${book.bestAsk()?.[0] ?? '-'}`
}

function level(entry: readonly [number, number] | undefined): string {
  return entry ? `${String(entry[1]).padStart(7)} @ ${String(entry[0]).padEnd(8)}` : ' '.repeat(18)
}
