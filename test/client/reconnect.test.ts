import { describe, expect, it } from 'vitest'
import type { TransitionEvent } from '../../src/client/events.js'
import {
  connected,
  PRIVATE,
  PUBLIC,
  refusingSockets,
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
  // Heard as an event, not polled: the first reconnect goes out at once and may be over in a poll.
  let noticed = false
  const stopWatching = client.on('state', (state) => {
    if (state !== 'ready') noticed = true
  })
  fault()
  await waitFor(() => noticed, 'the client to notice the fault')
  stopWatching()
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

  it("a reconnect's transition.ms counts from the drop, failed attempts and backoff included", async () => {
    // The first attempt after the drop is refused; the second waits out a 300 ms backoff.
    const refusing = refusingSockets()
    await using world = await connected({
      client: { WebSocket: refusing.WebSocket, reconnect: { initialDelayMs: 300, maxDelayMs: 300, jitter: 0 } },
    })
    const { client, sim } = world
    const events: TransitionEvent[] = []
    client.on('transition', (e) => events.push(e))
    let openedAt = 0
    const connections = sim.log.connections().length
    client.on('state', (state) => {
      if (state === 'authenticating') openedAt = Date.now()
    })
    refusing.once()
    const droppedAt = Date.now()
    sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    await waitFor(() => events.length === 1, 'the reconnect', 8000)
    const readyAfter = Date.now() - droppedAt
    expect(sim.log.connections().length).toBe(connections + 1)
    expect(events[0]).toMatchObject({ cause: 'reconnect' })
    const ms = events[0]?.ms ?? 0
    // From the drop: the refused attempt and the backoff are in it; from the open they would not be.
    expect(ms).toBeGreaterThanOrEqual(300)
    expect(ms).toBeGreaterThan(Date.now() - openedAt)
    expect(ms).toBeLessThanOrEqual(readyAfter)
  })
})
