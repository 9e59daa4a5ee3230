import { describe, expect, it } from 'vitest'
import { jwtClaims } from '../../src/session/jwtClaims.js'
import { restingBid, startWorld, Watch, type World, waitFor } from './harness.js'

const ORDERS = 'user.orders.any.any.raw'

async function connected(options: Parameters<typeof startWorld>[0] = {}): Promise<World & { watch: Watch }> {
  const world = await startWorld(options)
  const watch = new Watch()
  await world.client.subscribe([ORDERS], watch.handler)
  await world.client.connect()
  return Object.assign(world, { watch })
}

describe('many sessions in one client', () => {
  it('switches between held sessions without any exchange or fork call; private events follow', async () => {
    await using world = await connected()
    const { client, sim, account, subA } = world
    const main = client.session!
    const sub = await client.exchangeToken(subA)
    const forked = await client.forkToken('monitor')
    const exchangesBefore = sim.stats.exchangeTokens
    const forksBefore = sim.stats.forkTokens

    const back = await client.switchSession(main.id)
    expect(back.transition).toBe('switch')
    expect(back.id).toBe(main.id)
    expect(client.subjectId).toBe(account.mainAccountId)
    const onMain = await restingBid(client)
    await waitFor(() => world.watch.sawOrder(onMain.order_id), 'main order event after the switch')

    await client.switchSession(sub.id)
    expect(client.subjectId).toBe(subA)
    const onSub = await restingBid(client)
    await waitFor(() => world.watch.sawOrder(onSub.order_id), 'subaccount order event after the switch')
    expect((await client.call('private/get_account_summary', { currency: 'BTC' })).id).toBe(subA)

    await client.switchSession(forked.id)
    expect(client.session?.sessionName).toBe('monitor')
    expect(sim.stats.exchangeTokens).toBe(exchangesBefore)
    expect(sim.stats.forkTokens).toBe(forksBefore)

    const held = client.heldSessions()
    expect(held[0]).toMatchObject({ id: forked.id, active: true, sessionName: 'monitor' })
    expect(held.map((h) => h.id).sort()).toEqual([main.id, sub.id, forked.id].sort())
    expect(held.every((h) => h.expiresAt > Date.now())).toBe(true)
  })

  it('ends a held session at the exchange, keeps the client connected, and keeps the record', async () => {
    await using world = await connected()
    const { client, sim, subA } = world
    const sub = await client.exchangeToken(subA)
    const main = await client.switchSession(client.sessions.find((c) => c.subjectId !== subA)!.id)
    const opened = sim.stats.connectionsOpened
    const logouts = sim.stats.logouts
    const mainConnection = sim.log.connections().find((c) => c.open)!.id

    await client.endSession(sub.id)
    expect(sim.stats.logouts).toBe(logouts + 1)
    expect(client.state).toBe('ready')
    expect(sim.log.connections().find((c) => c.id === mainConnection)?.open).toBe(true)
    expect(client.session?.id).toBe(main.id)
    const records = client.heldSessions({ includeEnded: true })
    expect(records.find((r) => r.id === sub.id)).toMatchObject({ active: false, endedAt: expect.any(Number) })
    expect(client.heldSessions().some((r) => r.id === sub.id)).toBe(false)
    await expect(client.switchSession(sub.id)).rejects.toMatchObject({ code: 'TRANSITION_FAILED' })
    // Only the side connection was opened for it.
    expect(sim.stats.connectionsOpened).toBe(opened + 1)
  })

  it('reads exp from a JWT when expires_in is missing, refreshes before it, and names the session by jti', async () => {
    await using world = await connected({
      sim: { tokenFormat: 'jwt', omitExpiresIn: true, tokenLifetimeSec: 3 },
      client: { refreshBeforeMs: 1500 },
    })
    const { client, sim } = world
    const first = client.session!
    const claims = jwtClaims(first.accessToken)!
    expect(first.id).toBe(claims.jti)
    expect(Math.abs(first.expiresAt - (claims.exp as number) * 1000)).toBeLessThan(1500)
    const before = sim.stats.authByGrant.refresh_token
    await waitFor(() => sim.stats.authByGrant.refresh_token > before, 'a refresh before exp', 3000)
    expect(Date.now()).toBeLessThan((claims.exp as number) * 1000)
    await waitFor(() => client.state === 'ready', 'ready after the refresh')
    expect((await client.call('private/get_account_summary', { currency: 'BTC' })).id).toBeTypeOf('number')
  })

  it('refreshes a held session while it may be used, and lets an idle one expire', async () => {
    await using busy = await connected({ sim: { tokenLifetimeSec: 3 }, client: { refreshBeforeMs: 1500 } })
    await busy.client.exchangeToken(busy.subA)
    const heldMain = busy.client.heldSessions().find((h) => !h.active)!
    await waitFor(
      () => (busy.client.heldSessions().find((h) => h.id === heldMain.id)?.expiresAt ?? 0) > heldMain.expiresAt,
      'the held main session refreshed over a side connection',
      4000,
    )
    expect(busy.client.subjectId).toBe(busy.subA)

    await using idle = await connected({
      sim: { tokenLifetimeSec: 3 },
      client: { refreshBeforeMs: 1500, heldSessionIdleMs: 100 },
    })
    await idle.client.exchangeToken(idle.subA)
    const idleMain = idle.client.heldSessions().find((h) => !h.active)!
    await waitFor(
      () =>
        idle.client.heldSessions({ includeEnded: true }).some((h) => h.id === idleMain.id && h.endedAt !== undefined),
      'the idle held session left to expire',
      4000,
    )
    expect(idle.client.heldSessions().some((h) => h.id === idleMain.id)).toBe(false)
  })
})
