import { describe, expect, it } from 'vitest'
import {
  connected,
  PRIVATE,
  PUBLIC,
  restingBid,
  socketCutAfter,
  trackerMatchesExchange,
  type Watch,
  type World,
  waitFor,
} from './harness.js'

async function healsAfter(world: World & { watch: Watch }, fault: () => void): Promise<void> {
  const { client, sim, subA } = world
  await client.exchangeToken(subA)
  const resting = await restingBid(client, 'before-drop')
  const connections = sim.log.connections().length
  fault()
  await waitFor(() => client.state !== 'ready', 'the client to notice the fault')
  await waitFor(
    () => client.state === 'ready' && sim.log.connections().length > connections,
    'the client to heal',
    8000,
  )
  // Back on the same subject, with every channel delivering and the orders reconciled.
  expect(client.subjectId).toBe(subA)
  const since = Date.now()
  await world.watch.deliversAfter(PUBLIC, since)
  const after = await restingBid(client, 'after-drop')
  await waitFor(() => world.watch.sawOrder(after.order_id), 'user.orders after the reconnect')
  expect(client.orders.get(resting.order_id)?.order_state).toBe('open')
  expect(trackerMatchesExchange(world, subA)).toEqual({ missing: [], extra: [] })
  // Each channel subscribed once on the new connection.
  const open = sim.log.connections().filter((c) => c.open)
  expect(open).toHaveLength(1)
  expect(new Set(sim.subscriptionsOf(open[0]!.id))).toEqual(new Set([...PUBLIC, ...PRIVATE]))
  expect(sim.orderCount(subA, 'before-drop')).toBe(1)
}

describe('client reconnects', () => {
  it('heals after a clean server close', async () => {
    await using world = await connected()
    await healsAfter(world, () => world.sim.faults.dropConnections({ which: 'all', mode: 'close' }))
  })

  it('heals after an abrupt drop', async () => {
    await using world = await connected()
    await healsAfter(world, () => world.sim.faults.dropConnections({ which: 'all', mode: 'terminate' }))
  })

  it('heals when the new socket dies too, right after writing its resubscribe', async () => {
    // The reconnect sends its subscribe requests before the session bookkeeping and before the
    // heartbeat's answer; losing the socket there must end like any other drop.
    const cut = socketCutAfter('private/subscribe')
    await using world = await connected({ client: { WebSocket: cut.WebSocket } })
    await healsAfter(world, () => {
      cut.arm()
      world.sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    })
    expect(cut.fired()).toBe(true)
  })

  it('detects a half-open socket by its silence and heals', async () => {
    await using world = await connected()
    await healsAfter(world, () => world.sim.faults.halfOpen('all'))
  })

  it('reconciles orders that changed while the socket was down', async () => {
    await using world = await connected()
    const { client, sim, account } = world
    const order = await restingBid(client, 'cancel-me-while-away')
    sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    // While the client is away, the order is cancelled over HTTP with the API key.
    const auth = `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`
    await fetch(`${sim.httpUrl}/api/v2/private/cancel?order_id=${order.order_id}`, { headers: { authorization: auth } })
    await waitFor(() => client.orders.get(order.order_id)?.order_state === 'cancelled', 'the reconciled cancel', 8000)
    expect(trackerMatchesExchange(world, account.mainAccountId)).toEqual({ missing: [], extra: [] })
  })
})
