import { describe, expect, it } from 'vitest'
import type { TransitionEvent } from '../../src/client/events.js'
import {
  connected,
  framesOf,
  PRIVATE,
  PUBLIC,
  restingBid,
  socketCutAfter,
  trackerMatchesExchange,
  type Watch,
  type World,
  waitFor,
} from './harness.js'

/** Every channel delivers again, and a fresh order of the current subject arrives on user.orders. */
async function streamsLive(world: World & { watch: Watch }): Promise<void> {
  const since = Date.now()
  await world.watch.deliversAfter(PUBLIC, since)
  const order = await restingBid(world.client)
  await waitFor(() => world.watch.sawOrder(order.order_id), `user.orders event for ${order.order_id}`)
}

describe('client transitions end to end', () => {
  it('authenticates by signature (the secret never goes over the wire) and delivers public and private channels', async () => {
    await using world = await connected()
    const { client, sim, account } = world
    expect(client.state).toBe('ready')
    expect(client.session?.transition).toBe('initial')
    expect(client.session?.subjectId).toBe(account.mainAccountId)
    expect(client.session?.sessionName).toBe('bot')
    expect(sim.stats.authByGrant.client_signature).toBe(1)
    expect(sim.stats.authByGrant.client_credentials).toBe(0)
    expect(sim.log.allFrames().some((f) => f.text.includes(account.clientSecret))).toBe(false)
    await streamsLive(world)
    expect(trackerMatchesExchange(world, account.mainAccountId)).toEqual({ missing: [], extra: [] })
  })

  it('refresh keeps every channel and spends the refresh token exactly once', async () => {
    await using world = await connected()
    const { client, sim } = world
    const before = client.session
    const events: TransitionEvent[] = []
    client.on('transition', (e) => events.push(e))
    const after = await client.refreshToken()
    expect(after.transition).toBe('refresh')
    expect(after.accessToken).not.toBe(before?.accessToken)
    expect(sim.stats.authByGrant.refresh_token).toBe(1)
    expect(events.map((e) => e.kind)).toEqual(['refresh'])
    await streamsLive(world)
  })

  it('exchange moves private channels to the subaccount, and back restores the main account', async () => {
    await using world = await connected()
    const { client, sim, account, subA } = world
    const mainOrder = await restingBid(client, 'main-order')
    const events: TransitionEvent[] = []
    client.on('transition', (e) => events.push(e))

    await client.exchangeToken(subA)
    expect(client.subjectId).toBe(subA)
    expect(client.session?.transition).toBe('exchange')
    expect(client.session?.prevId).toBe(client.sessions[1]?.id)
    expect(events[0]).toMatchObject({ kind: 'exchange', resubscribed: PRIVATE.length })
    await streamsLive(world)
    // The main account's order events no longer reach the client: its private channel follows the subject.
    const seenBefore = world.watch.orders.length
    await client.call('private/get_account_summary', { currency: 'BTC' }).then((s) => {
      expect((s as { id: number }).id).toBe(subA)
    })
    expect(world.watch.orders.slice(seenBefore).every((o) => o.order_id !== mainOrder.order_id)).toBe(true)
    expect(trackerMatchesExchange(world, subA)).toEqual({ missing: [], extra: [] })

    await client.exchangeToken(account.mainAccountId)
    expect(client.subjectId).toBe(account.mainAccountId)
    await streamsLive(world)
    const cancelled = await client.cancel(mainOrder.order_id)
    expect(cancelled.order_state).toBe('cancelled')
    await waitFor(
      () => world.watch.orders.some((o) => o.order_id === mainOrder.order_id && o.order_state === 'cancelled'),
      'the main order cancel event',
    )
    for (const subject of [account.mainAccountId, subA]) {
      expect(trackerMatchesExchange(world, subject)).toEqual({ missing: [], extra: [] })
    }
    expect(sim.stats.exchangeTokens).toBe(2)
  })

  it('fork moves the connection to a new named session and keeps delivering', async () => {
    await using world = await connected()
    const { client, sim, account } = world
    const forked = await client.forkToken('worker-2')
    expect(forked.sessionName).toBe('worker-2')
    expect(forked.subjectId).toBe(account.mainAccountId)
    expect(forked.transition).toBe('fork')
    expect(sim.stats.forkTokens).toBe(1)
    await streamsLive(world)
  })

  it('calls issued during a transition wait and run exactly once under the new token', async () => {
    await using world = await connected()
    const { client, sim, subA } = world
    const before = framesOf(sim, 'private/get_account_summary').length
    const exchange = client.exchangeToken(subA)
    const calls = Array.from({ length: 5 }, () => client.call('private/get_account_summary', { currency: 'BTC' }))
    await exchange
    const results = await Promise.all(calls)
    expect(results.map((r) => r.id)).toEqual([subA, subA, subA, subA, subA])
    expect(framesOf(sim, 'private/get_account_summary').length - before).toBe(5)
  })

  it('a failed transition leaves the client on the old session with nothing dropped', async () => {
    await using world = await connected()
    const { client, account } = world
    const before = client.session
    await expect(client.exchangeToken(999_999)).rejects.toMatchObject({ code: 'TRANSITION_FAILED' })
    expect(client.state).toBe('ready')
    expect(client.session?.id).toBe(before?.id)
    expect(client.subjectId).toBe(account.mainAccountId)
    await streamsLive(world)
  })

  it('a transition asked for as the socket drops waits for the reconnect and completes once', async () => {
    await using world = await connected()
    const { client, sim, subA } = world
    sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    const exchanged = await client.exchangeToken(subA)
    expect(exchanged.subjectId).toBe(subA)
    expect(client.subjectId).toBe(subA)
    expect(client.state).toBe('ready')
    await streamsLive(world)
  })

  it('a socket lost right after an exchange wrote its private resubscribe: the new session is restored by the reconnect', async () => {
    // The window between making the new session active and the private subscribe's answer: the
    // socket dies with the request written and its answer lost. The exchange already moved the
    // session, so the transition stands and the reconnect brings its channels and orders back.
    const cut = socketCutAfter('private/subscribe')
    await using world = await connected({ client: { WebSocket: cut.WebSocket } })
    const { client, subA } = world
    cut.arm()
    const exchanged = await client.exchangeToken(subA)
    expect(cut.fired()).toBe(true)
    expect(exchanged.subjectId).toBe(subA)
    await waitFor(() => client.state === 'ready', 'ready after the reconnect')
    expect(client.subjectId).toBe(subA)
    await streamsLive(world)
    expect(trackerMatchesExchange(world, subA)).toEqual({ missing: [], extra: [] })
  })

  it('logout invalidates the session, closes the socket and never reconnects', async () => {
    await using world = await connected()
    const { client, sim } = world
    const refreshToken = client.session?.refreshToken as string
    const opened = sim.stats.connectionsOpened
    await client.logout()
    expect(client.state).toBe('closed')
    expect(sim.stats.logouts).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(sim.stats.connectionsOpened).toBe(opened)
    const response = await fetch(
      `${sim.httpUrl}/api/v2/public/auth?grant_type=refresh_token&refresh_token=${encodeURIComponent(refreshToken)}`,
    )
    const body = (await response.json()) as { error?: { code: number } }
    expect(body.error?.code).toBe(13009)
  })
})
