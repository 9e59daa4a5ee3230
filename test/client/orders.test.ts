import { describe, expect, it } from 'vitest'
import { OrderNotPlacedError } from '../../src/errors.js'
import { restingBid, startWorld, waitFor } from './harness.js'

describe('order entry', () => {
  it('settles an order whose answer was lost by its label, without sending it twice', async () => {
    await using world = await startWorld()
    const { client, sim, account } = world
    await client.connect()
    sim.faults.delayResponses(600)
    const book = {
      instrument_name: 'BTC-PERPETUAL',
      amount: 10,
      type: 'limit' as const,
      price: 1000,
      label: 'slow-answer',
    }
    const result = await client.buy(book, { timeoutMs: 200 })
    sim.faults.delayResponses(0)
    expect(result.order.label).toBe('slow-answer')
    expect(sim.orderCount(account.mainAccountId, 'slow-answer')).toBe(1)
    expect(client.orders.byLabel('slow-answer')).toHaveLength(1)
  })

  it('says an order was not placed when its frame never reached the exchange', async () => {
    await using world = await startWorld()
    const { client, sim, account } = world
    await client.connect()
    sim.faults.halfOpen('all')
    const attempt = client.buy(
      { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'limit', price: 1000, label: 'lost-in-the-void' },
      { timeoutMs: 500 },
    )
    await expect(attempt).rejects.toBeInstanceOf(OrderNotPlacedError)
    expect(sim.orderCount(account.mainAccountId, 'lost-in-the-void')).toBe(0)
  })

  it('fails fast with NOT_CONNECTED while reconnecting, writing nothing', async () => {
    await using world = await startWorld({ client: { reconnect: { initialDelayMs: 2000, maxDelayMs: 2000 } } })
    const { client, sim, account } = world
    await client.connect()
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
