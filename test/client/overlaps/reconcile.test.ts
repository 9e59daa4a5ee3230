/**
 * Issue 13, cases 13, 14 and 16: the tracker stays true by itself, and reconciling never blocks
 * the client, however many orders vanished and whether or not the exchange answers the query.
 */
import { describe, expect, it } from 'vitest'
import {
  bid,
  clientConnection,
  expectTrackerTrue,
  expectTruthfulOrder,
  openOn,
  settledWithin,
  sleep,
  startOverlapWorld,
  track,
  waitFor,
} from './overlapWorld.js'

describe('the tracker stays true (issue 13)', () => {
  it('case 13: 1,000 orders vanish while disconnected: the client answers at once after the reconnect and the tracker catches up', async () => {
    // The exchange does not pace here, so the other process can place 1,000 orders quickly; the client keeps its own pacing.
    await using w = await startOverlapWorld({ sim: { rateLimits: false } })
    const other = w.another({ rateLimit: false })
    await other.connect()
    for (let i = 0; i < 1000; i += 100) {
      await Promise.all(Array.from({ length: 100 }, (_, k) => other.buy(bid(`c13-${i + k}`))))
    }
    await w.client.connect()
    await waitFor(
      () => w.client.orders.forSubject(w.main).filter((o) => o.order_state === 'open').length === 1000,
      'the tracker to learn the 1,000 open orders',
      10_000,
    )
    const conn = await clientConnection(w)
    // The client is cut off (the exchange hears nothing from it and tells it nothing), the orders vanish, then it reconnects.
    w.sim.faults.halfOpen(conn)
    await other.cancelAll()
    expect(openOn(w, w.main)).toEqual([])
    w.sim.faults.dropConnections({ which: conn, mode: 'terminate' })
    await waitFor(
      () => w.sim.stats.connectionsOpened >= 3 && w.client.state === 'ready',
      'ready again after the reconnect (vanished orders must not hold it up)',
      8000,
    )
    const readyAt = Date.now()
    const time = await settledWithin(
      track(w.client.call('public/get_time', {}, { timeoutMs: 1500 })),
      2000,
      'public/get_time right after the reconnect',
    )
    expect(time.ok, time.ok ? '' : `${time.error.code}: ${time.error.message}`).toBe(true)
    await expectTrackerTrue(w, [w.main], Math.max(1, readyAt + 3000 - Date.now()))
  }, 60_000)

  it('case 14: the exchange refuses the open-orders query after a reconnect: no reconnect loop, a pending buy settles', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    await w.client.buy(bid('c14-before'))
    const conn = await clientConnection(w)
    const refused = { code: -32602, message: 'Invalid params', data: { reason: 'unknown currency', param: 'currency' } }
    for (const method of [
      'private/get_open_orders',
      'private/get_open_orders_by_currency',
      'private/get_order_history',
    ])
      w.sim.faults.failNext(method, 10_000, refused)
    w.sim.faults.dropConnections({ which: conn, mode: 'terminate' })
    const buy = track(w.client.buy(bid('c14'), { timeoutMs: 3000 }))
    const outcome = await settledWithin(buy, 3000 + 400, 'the buy')
    expectTruthfulOrder(w, 'c14', w.main, outcome)
    const opened = w.sim.stats.connectionsOpened
    await sleep(2000)
    expect(w.sim.stats.connectionsOpened - opened, 'connections opened while the query stays refused').toBe(0)
    expect(w.client.state).toBe('ready')
  })

  it('case 16: another connection of the key cancels an order: the tracker follows without any user subscription', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    const placed = await w.client.buy(bid('c16'))
    const other = w.another()
    await other.connect()
    expect(await other.cancelByLabel('c16')).toBe(1)
    await expectTrackerTrue(w, [w.main])
    expect(w.client.orders.forSubject(w.main).find((o) => o.order_id === placed.order.order_id)?.order_state).toBe(
      'cancelled',
    )
  })
})
