/**
 * Named reliability scenarios, streams and orders (issue 7): a subaccount exchange racing orders
 * in flight, duplicated and out-of-order `user.orders` events, and a rate limit (10028) hit while
 * resubscribing 200 channels. Each ends with the shared oracles (`rig.verify()`).
 */
import { describe, expect, it } from 'vitest'
import type { TrackedOrder } from '../../src/orders/orderTracker.js'
import type { ChannelName } from '../../src/protocol/channelNames.js'
import type { Order } from '../../src/protocol/types.js'
import { Watch, waitFor } from '../client/harness.js'
import { openConnections, sleep } from './oracles.js'
import { RESTING_PRICE, startRig } from './rig.js'

const PUBLIC = ['ticker.BTC-PERPETUAL.100ms', 'book.BTC-PERPETUAL.100ms'] as const
const PRIVATE = ['user.orders.any.any.raw'] as const

/** 200 distinct public channels the simulator serves (5 undated instruments, every interval and grouping). */
function twoHundredChannels(): ChannelName[] {
  const btc = ['BTC-PERPETUAL', 'BTC_USDC-PERPETUAL', 'BTC_USDC']
  const eth = ['ETH-PERPETUAL', 'ETH_USDC-PERPETUAL']
  const all = [...btc, ...eth]
  const channels: ChannelName[] = []
  for (const instrument of all)
    for (const interval of ['100ms', 'raw', 'agg2'] as const)
      channels.push(
        `ticker.${instrument}.${interval}`,
        `book.${instrument}.${interval}`,
        `trades.${instrument}.${interval}`,
      )
  const grouped = (instrument: string, groups: readonly string[]) => {
    for (const group of groups)
      for (const depth of ['1', '10', '20'] as const)
        for (const interval of ['100ms', 'agg2'] as const)
          channels.push(`book.${instrument}.${group}.${depth}.${interval}`)
  }
  for (const instrument of btc) grouped(instrument, ['none', '1', '2', '5', '10'])
  for (const instrument of eth) grouped(instrument, ['none', '5', '10', '25', '100', '250'])
  return channels.slice(0, 200)
}

describe('reliability scenarios: streams and orders', () => {
  it('exchange while orders are in flight: each order lands once, on the identity it was sent under', async () => {
    await using rig = await startRig()
    const { client, sim, subA, account } = rig
    const both = [account.mainAccountId, subA]
    await client.subscribe([...PUBLIC, ...PRIVATE])
    await client.connect()
    // Answers slowed so the first orders are still in flight when the exchange starts.
    sim.faults.delayResponses(50)
    const inFlight = [0, 1, 2, 3, 4].map((i) => rig.bid(`in-flight-${i}`, { accounts: both }))
    const exchange = rig.watch.watch('exchange', client.exchangeToken(subA))
    const during = [0, 1, 2, 3, 4].map((i) => rig.bid(`during-${i}`, { accounts: both }))
    await Promise.all([...inFlight, ...during])
    await exchange
    sim.faults.delayResponses(0)
    for (let i = 0; i < 5; i++) {
      expect(sim.orderCount(account.mainAccountId, `in-flight-${i}`), `in-flight-${i} on main`).toBe(1)
      // Asked for during the transition: waited, then ran once under the new token.
      expect(sim.orderCount(subA, `during-${i}`), `during-${i} on subA`).toBe(1)
    }
    expect(client.subjectId).toBe(subA)
    await rig.verify()
  })

  it('duplicated and out-of-order user.orders events never roll an order back', async () => {
    await using rig = await startRig()
    const { client, sim } = rig
    const watch = new Watch()
    await client.subscribe(PRIVATE, watch.handler)
    await client.connect()
    const { order } = await rig.bid('dup-ooo')
    await client.edit({ order_id: order.order_id, amount: 20, price: RESTING_PRICE })
    await waitFor(() => watch.orders.some((o) => o.order_id === order.order_id && o.amount === 20), 'the edit event')
    const seen = (): Order[] => watch.orders.filter((o) => o.order_id === order.order_id)
    const first = seen()[0] as Order
    const latest = seen().at(-1) as Order
    const conn = openConnections(sim)[0] as number
    const replay = (events: Order[]) => {
      for (const data of events) {
        const frame = { jsonrpc: '2.0', method: 'subscription', params: { channel: PRIVATE[0], data } }
        sim.faults.sendMalformed(conn, JSON.stringify(frame))
      }
    }
    const changes: TrackedOrder[] = []
    client.on('order', (o) => {
      if (o.order_id === order.order_id) changes.push(o)
    })
    replay([first, latest, first, latest, first])
    await waitFor(() => seen().length >= 7, 'the replayed events to be delivered')
    expect(client.orders.get(order.order_id)?.amount).toBe(20)
    expect(changes).toEqual([])
    const cancelled = await client.cancel(order.order_id)
    expect(cancelled.order_state).toBe('cancelled')
    replay([latest, first])
    await sleep(100)
    expect(client.orders.get(order.order_id)?.order_state).toBe('cancelled')
    expect(client.orders.open().map((o) => o.order_id)).not.toContain(order.order_id)
    await rig.verify()
  })

  it('pacing at the edge of a credit pool, with transit jitter and heartbeats: no 10028', async () => {
    // The client is told the exchange's real pool; it must stay under it although answers to
    // test_request bypass its queue and each request's transit time varies.
    const pool = { cost: 500, max: 5000, refillPerSec: 20_000 }
    await using rig = await startRig({
      sim: { rateLimits: { default: pool } },
      client: {
        rateLimit: { pools: { default: { costPerRequest: 500, maxCredits: 5000, refillPerSecond: 20_000 } } },
        requestTimeoutMs: 5000,
      },
    })
    const { client, sim } = rig
    await client.connect()
    rig.proxy.latency({ ms: 1, jitterMs: 15 })
    const calls = Array.from({ length: 100 }, (_, i) =>
      rig.watch.watch(`get_time ${i}`, client.call('public/get_time')),
    )
    await Promise.all(calls)
    rig.proxy.latency({ ms: 0 })
    expect(sim.stats.rateLimited).toBe(0)
    await rig.verify()
  })

  it('10028 mid-resubscribe of 200 channels: paced retries end with every channel subscribed once', async () => {
    await using rig = await startRig({
      // One subscribe request per 400 ms: the resubscription right after a reconnect finds the pool empty.
      sim: { marketRateHz: 5, rateLimits: { subscribe: { cost: 1000, max: 1000, refillPerSec: 2500 } } },
    })
    const { client, sim, proxy } = rig
    const channels = twoHundredChannels()
    expect(new Set(channels).size).toBe(200)
    await client.subscribe(channels)
    await client.connect()
    // The user's 200 and the order tracker's own user.orders channel.
    expect(sim.subscriptionsOf(openConnections(sim)[0] as number)).toHaveLength(201)
    const opened = sim.stats.connectionsOpened
    proxy.reset()
    await waitFor(() => sim.stats.rateLimited > 0, 'a 10028 on the resubscription')
    await waitFor(
      () => client.state === 'ready' && sim.subscriptionsOf(openConnections(sim).at(-1) ?? -1).length === 201,
      'every channel back',
      8000,
    )
    // Paced: a few rejected attempts at most, not a reconnect storm.
    expect(sim.stats.rateLimited).toBeLessThanOrEqual(3)
    expect(sim.stats.connectionsOpened - opened).toBeLessThanOrEqual(4)
    await rig.heal()
    await rig.verify()
  })
})
