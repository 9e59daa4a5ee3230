import { describe, expect, it } from 'vitest'
import { OrderNotPlacedError } from '../../src/errors.js'
import { refusingSockets, restingBid, startWorld, waitFor } from './harness.js'

describe('order entry', () => {
  it('a late answer that comes before the deadline wins, and the order is placed once', async () => {
    await using world = await startWorld()
    const { client, sim, account } = world
    await client.connect()
    sim.faults.delayResponses(300)
    const book = { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'limit' as const, price: 1000, label: 'slow' }
    const result = await client.buy(book, { timeoutMs: 3000 })
    sim.faults.delayResponses(0)
    expect(result.order.label).toBe('slow')
    expect(sim.orderCount(account.mainAccountId, 'slow')).toBe(1)
    expect(client.orders.byLabel('slow')).toHaveLength(1)
  })

  it('an answer later than the deadline ends OUTCOME_UNKNOWN on time, naming label and account; the tracker learns the truth', async () => {
    await using world = await startWorld()
    const { client, sim, account } = world
    await client.connect()
    sim.faults.delayResponses(600)
    const book = { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'limit' as const, price: 1000, label: 'late' }
    const started = Date.now()
    const attempt = client.buy(book, { timeoutMs: 200 })
    await expect(attempt).rejects.toMatchObject({
      code: 'OUTCOME_UNKNOWN',
      label: 'late',
      subjectId: account.mainAccountId,
    })
    expect(Date.now() - started).toBeLessThan(550)
    sim.faults.delayResponses(0)
    await waitFor(() => sim.orderCount(account.mainAccountId, 'late') === 1, 'the order placed, once')
    // The tracker's own user.orders subscription brings the order in without another request.
    await waitFor(() => client.orders.byLabel('late').length === 1, 'the tracker learns the order')
  })

  it('says an order was not placed when its frame never reached the exchange', async () => {
    await using world = await startWorld()
    const { client, sim, account } = world
    await client.connect()
    sim.faults.halfOpen('all')
    // Long enough for the half-open socket to be noticed and replaced, and the label looked up.
    const attempt = client.buy(
      { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'limit', price: 1000, label: 'lost-in-the-void' },
      { timeoutMs: 8000 },
    )
    await expect(attempt).rejects.toBeInstanceOf(OrderNotPlacedError)
    expect(sim.orderCount(account.mainAccountId, 'lost-in-the-void')).toBe(0)
  })

  it('fails fast with NOT_CONNECTED while reconnecting, writing nothing', async () => {
    // Reconnects are refused, so the client stays down (the first one goes out at once).
    const refusing = refusingSockets()
    await using world = await startWorld({
      client: { WebSocket: refusing.WebSocket, reconnect: { initialDelayMs: 2000, maxDelayMs: 2000 } },
    })
    const { client, sim, account } = world
    await client.connect()
    refusing.refuse(true)
    sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    await waitFor(() => client.state === 'reconnecting', 'reconnecting')
    await expect(
      client.buy({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'limit', price: 1000, label: 'offline' }),
    ).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
    expect(sim.orderCount(account.mainAccountId, 'offline')).toBe(0)
  })

  it('keeps the tracker equal to the exchange through fills, edits and cancels', async () => {
    await using world = await startWorld()
    const { client, sim, account } = world
    await client.connect()
    const order = await restingBid(client)
    const edited = await client.edit({ order_id: order.order_id, amount: 20, price: order.price as number })
    expect(edited.order.amount).toBe(20)
    expect(client.orders.get(order.order_id)?.amount).toBe(20)
    const market = await client.sell({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })
    expect(market.order.order_state).toBe('filled')
    expect(await client.cancelAll()).toBeGreaterThanOrEqual(1)
    expect(client.orders.open()).toEqual([])
    expect(sim.openOrders(account.mainAccountId)).toEqual([])
  })
})
