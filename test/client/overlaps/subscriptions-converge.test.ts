/**
 * Issue 13, cases 7, 8 and 17: the channels the exchange holds for the client's connection
 * converge to what the user asked for, whatever transition, refusal or gap overlaps the asking.
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { describe, expect, it } from 'vitest'
import { DeribitClient, type DeribitError } from '../../../src/index.js'
import { authGrant } from '../../support/wireControl.js'
import {
  bid,
  clientConnection,
  clientConnectionIds,
  expectWire,
  settledWithin,
  sleep,
  startOverlapWorld,
  TRACKER_CHANNEL,
  track,
  waitFor,
} from './overlapWorld.js'

const TICKER = 'ticker.BTC-PERPETUAL.100ms'
const TRADES = 'trades.BTC-PERPETUAL.100ms'
const ORDERS = 'user.orders.any.any.raw'
const USER_TRADES = 'user.trades.any.any.raw'
/** A buy that fills at once, so `user.trades` has something to say. */
const MARKET_BUY = (label: string) => ({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' as const, label })
const BOOK = 'book.BTC-PERPETUAL.100ms'

/** A refusal the exchange might answer a subscribe with. */
const REFUSED = { code: 11051, message: 'system_maintenance' }

/** Refuses the next subscribe request, whichever of the two the client uses. */
function refuseNextSubscribe(sim: { faults: { failNext(m: string, n: number, e: typeof REFUSED): void } }) {
  sim.faults.failNext('public/subscribe', 1, REFUSED)
  sim.faults.failNext('private/subscribe', 1, REFUSED)
}

describe('subscriptions converge (issue 13)', () => {
  it('case 7: unsubscribe() during a refresh reaches the exchange', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    await w.client.subscribe([TICKER, TRADES])
    w.wire.hold({ match: authGrant('refresh_token'), hold: 300, count: 1 })
    const refresh = track(w.client.refreshToken())
    await w.wire.sent(authGrant('refresh_token'))
    const unsubscribe = track(w.client.unsubscribe(TICKER))
    expect((await settledWithin(refresh, 3000, 'the refresh')).ok).toBe(true)
    await settledWithin(unsubscribe, 3000, 'the unsubscribe')
    await clientConnection(w)
    await expectWire(w, [TRADES])
  })

  it('subscribe() during a refresh goes out when the refresh commits, and the refresh resends nothing else', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    await w.client.subscribe([TICKER])
    const conn = await clientConnection(w)
    const subscribesBefore = w.sim.log.framesFrom(conn).filter((f) => f.text.includes('subscribe')).length
    w.wire.hold({ match: authGrant('refresh_token'), hold: 300, count: 1 })
    const refresh = track(w.client.refreshToken())
    await w.wire.sent(authGrant('refresh_token'))
    const subscribe = track(w.client.subscribe([TRADES]))
    expect((await settledWithin(refresh, 3000, 'the refresh')).ok).toBe(true)
    expect((await settledWithin(subscribe, 3000, 'the subscribe')).ok).toBe(true)
    await expectWire(w, [TICKER, TRADES])
    // One request for the new channel; the refresh kept the session, so nothing was sent again.
    const subscribes = w.sim.log.framesFrom(conn).filter((f) => f.text.includes('subscribe')).length
    expect(subscribes - subscribesBefore).toBe(1)
  })

  it('case 7: unsubscribe() during an exchange reaches the exchange', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    await w.client.subscribe([TICKER, TRADES])
    w.wire.hold({ match: 'public/exchange_token', hold: 300, count: 1 })
    const exchange = track(w.client.exchangeToken(w.subA))
    await w.wire.sent('public/exchange_token')
    const unsubscribe = track(w.client.unsubscribe(TRADES))
    expect((await settledWithin(exchange, 3000, 'the exchange')).ok).toBe(true)
    await settledWithin(unsubscribe, 3000, 'the unsubscribe')
    await clientConnection(w)
    await expectWire(w, [TICKER])
  })

  it('case 7: a private subscription ended under the subaccount does not come back on the switch back', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    const mainSession = w.client.session?.id as string
    let events = 0
    // A channel the order tracker never needs for itself, so the wire tells the user's story alone.
    const trades = await w.client.subscribe([USER_TRADES], () => events++)
    await w.client.buy(MARKET_BUY('c7-live'))
    await waitFor(() => events > 0, 'user.trades to deliver a fill while subscribed')
    await w.client.exchangeToken(w.subA)
    await trades.unsubscribe()
    await w.client.switchSession(mainSession)
    await clientConnection(w)
    await expectWire(w, [])
    expect(w.client.channels).not.toContain(USER_TRADES)
    const before = events
    await w.client.buy(MARKET_BUY('c7-ended'))
    await sleep(500)
    expect(events - before, 'events delivered to the ended subscription').toBe(0)
  })

  it('case 7: a subscribe() made during a switch back delivers', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    const mainSession = w.client.session?.id as string
    await w.client.exchangeToken(w.subA)
    w.wire.hold({ match: authGrant('refresh_token'), hold: 300, count: 1 })
    const back = track(w.client.switchSession(mainSession))
    await w.wire.sent(authGrant('refresh_token'))
    const seen: string[] = []
    const sub = track(w.client.subscribe([ORDERS], (data) => seen.push((data as { label?: string }).label ?? '')))
    expect((await settledWithin(back, 3000, 'the switch back')).ok).toBe(true)
    expect((await settledWithin(sub, 3000, 'the subscribe')).ok).toBe(true)
    await clientConnection(w)
    await expectWire(w, [ORDERS])
    await w.client.buy(bid('c7-deliver'))
    await waitFor(() => seen.includes('c7-deliver'), "the main account's order event on user.orders")
  })

  it('case 7: two concurrent subscribe() of one channel, the first request refused: one shared outcome', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    refuseNextSubscribe(w.sim)
    const first = track(w.client.subscribe([TICKER]))
    const second = track(w.client.subscribe([TICKER]))
    const a = await settledWithin(first, 3000, 'the first subscribe')
    const b = await settledWithin(second, 3000, 'the second subscribe')
    expect(a.ok, 'both calls share one outcome').toBe(b.ok)
    await clientConnection(w)
    await expectWire(w, a.ok || b.ok ? [TICKER] : [])
  })

  it('a resubscription the exchange answers with maintenance keeps every subscription and comes back', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    const seen: string[] = []
    const pub = await w.client.subscribe([TRADES])
    const own = await w.client.subscribe([ORDERS], (data) => seen.push((data as { label?: string }).label ?? ''))
    const errors: DeribitError[] = []
    w.client.on('error', (e) => errors.push(e))
    const before = await clientConnection(w)
    // "Not now", not "no": the reconnect's subscribe is refused with 11051 once.
    refuseNextSubscribe(w.sim)
    w.sim.faults.dropConnections({ which: before, mode: 'terminate' })
    await waitFor(() => clientConnectionIds(w).some((id) => id !== before), 'the reconnect')
    await clientConnection(w)
    await expectWire(w, [TRADES, ORDERS])
    expect([pub.closed, own.closed], 'the subscriptions live on').toEqual([false, false])
    expect(errors.map((e) => e.exchangeCode)).not.toContain(11051)
    await w.client.buy(bid('after-maintenance'))
    await waitFor(() => seen.includes('after-maintenance'), 'the order event after the reconnect')
  })

  it('a subscribe the exchange refuses for good (bad request) ends, with the exchange code', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    w.sim.faults.failNext('private/subscribe', 1, { code: 11050, message: 'bad_request' })
    const refused = await w.client.subscribe([TRADES]).then(
      () => undefined,
      (e: DeribitError) => e,
    )
    expect(refused?.exchangeCode).toBe(11050)
    await expectWire(w, [])
  })

  it('case 7: an orderBook() retried after a refused subscribe is live', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    refuseNextSubscribe(w.sim)
    const first = await settledWithin(track(w.client.orderBook('BTC-PERPETUAL')), 3000, 'the first orderBook()')
    // Whether the refusal reached the caller or was healed by a retry, the book the user holds must be live.
    if (first.ok) await first.value.close()
    const book = await w.client.orderBook('BTC-PERPETUAL')
    await expectWire(w, [BOOK])
    let updates = 0
    book.on('update', () => updates++)
    await w.sim.market.burstTrades('BTC-PERPETUAL', 5)
    await waitFor(() => updates > 0, 'the retried book to receive changes')
    await book.close()
    await expectWire(w, [])
  })

  it('case 7: a book closed from a gap listener stays closed', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    const book = await w.client.orderBook('BTC-PERPETUAL')
    let gaps = 0
    w.client.on('gap', () => {
      gaps++
      void book.close()
    })
    w.sim.faults.skipChangeId('BTC-PERPETUAL')
    await w.sim.market.burstTrades('BTC-PERPETUAL', 5)
    await waitFor(() => gaps > 0, 'the gap')
    await sleep(300)
    await expectWire(w, [])
    expect(w.client.channels.filter((c) => !TRACKER_CHANNEL.test(c))).toEqual([])
  })

  it('case 8: a connection-scoped re-auth (exchange to the subject already on) keeps user.orders delivering', async () => {
    await using w = await startOverlapWorld({ connectionScope: true })
    await w.client.connect()
    const seen: string[] = []
    await w.client.subscribe([ORDERS], (data) => seen.push((data as { label?: string }).label ?? ''))
    await w.client.exchangeToken(w.main)
    await clientConnection(w)
    await expectWire(w, [ORDERS])
    await w.client.buy(bid('c8-same'))
    await waitFor(() => seen.includes('c8-same'), 'the order event after the re-auth')
  })

  it('case 8: a refresh that falls back to signature auth keeps user.orders delivering', async () => {
    await using w = await startOverlapWorld({ connectionScope: true })
    await w.client.connect()
    const seen: string[] = []
    await w.client.subscribe([ORDERS], (data) => seen.push((data as { label?: string }).label ?? ''))
    const signaturesBefore = w.sim.stats.authByGrant.client_signature
    w.sim.faults.failNext('public/auth', 1, { code: 13009, message: 'unauthorized' })
    await w.client.refreshToken()
    expect(w.sim.stats.authByGrant.client_signature, 'the fallback signed in again').toBe(signaturesBefore + 1)
    await clientConnection(w)
    await expectWire(w, [ORDERS])
    await w.client.buy(bid('c8-fallback'))
    await waitFor(() => seen.includes('c8-fallback'), 'the order event after the fallback')
  })

  it('case 17: subscribing and unsubscribing many distinct channel names leaves no memory behind', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const settle = async () => {
      gc()
      await sleep(50)
      gc()
      return getHeapStatistics().used_heap_size
    }
    await using w = await startOverlapWorld({ sim: { rateLimits: false }, client: { rateLimit: false } })
    // A client of its own, so that what it holds can be told apart from what the in-process
    // simulator keeps (it logs every frame): the difference the client's release makes.
    let client: DeribitClient | undefined = new DeribitClient({
      url: w.sim.url,
      credentials: { clientId: w.account.clientId, clientSecret: w.account.clientSecret },
      rateLimit: false,
    })
    await client.connect()
    // Names the exchange refuses are still names the client was asked for.
    const round = async (from: number, n: number) => {
      for (let i = from; i < from + n; i += 100) {
        const names = Array.from({ length: 100 }, (_, k) => `ticker.NOPE-${i + k}-PERPETUAL.100ms` as const)
        const r = await track((client as DeribitClient).subscribe(names))
        if (r.ok) await (client as DeribitClient).unsubscribe(names)
        else expect((r.error as DeribitError).code).toBeDefined()
      }
    }
    w.sim.faults.pauseMarket()
    await round(0, 2000) // warm-up: code paths, JIT, pools
    const N = 20_000
    await round(100_000, N)
    expect(client.channels.filter((c) => !TRACKER_CHANNEL.test(c))).toEqual([])
    const withClient = await settle()
    await client.close()
    client = undefined
    const withoutClient = await settle()
    // A client's fixed size is released too; spread over N names it is a few bytes each.
    const perName = (withClient - withoutClient) / N
    expect(perName, 'bytes the client keeps per distinct channel name').toBeLessThan(30)
  }, 60_000)
})
