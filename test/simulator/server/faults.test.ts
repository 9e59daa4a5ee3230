import { describe, expect, it } from 'vitest'
import type { SimulatorHandle } from '../../../src/simulator/server.js'
import { authCreds, errorOf, type FakeExchange, simFixture, sleep, type startFake, until } from './helpers.js'

let sim: SimulatorHandle
let exchange: FakeExchange
const clock = 1_700_000_000_000

async function setup(options: Parameters<typeof startFake>[0] = {}) {
  ;({ sim, exchange } = await fixture.start({ now: () => clock, ...options }))
  return sim.createAccount()
}

const fixture = simFixture()
const connect = fixture.connect

describe('faults', () => {
  it('dropConnections close / terminate (COD fires)', async () => {
    const acc = await setup()
    const a = await connect()
    const b = await connect()
    await authCreds(b, acc)
    await b.result('private/enable_cancel_on_disconnect')
    await b.result('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10 })
    expect(sim.faults.dropConnections({ which: sim.log.connections()[0]!.id, mode: 'close' })).toBe(1)
    expect((await a.closed).code).toBe(1001)
    sim.faults.dropConnections({ mode: 'terminate' })
    expect((await b.closed).code).toBe(1006)
    await until(() => exchange.orders[0]?.open === false)
  })

  it('halfOpen swallows traffic both ways without closing; restore resumes', async () => {
    await setup()
    const c = await connect()
    await c.result('public/subscribe', { channels: ['ticker.BTC-PERPETUAL.100ms'] })
    sim.faults.halfOpen('all')
    exchange.sink.publish('ticker.BTC-PERPETUAL', { a: 1 })
    c.send('{"jsonrpc":"2.0","id":"h","method":"public/test"}')
    await sleep(100)
    expect(c.notifications()).toHaveLength(0)
    expect(c.frames.some((f) => f.id === 'h')).toBe(false)
    expect(c.ws.readyState).toBe(c.ws.OPEN)
    sim.faults.restore('all')
    // The frame sent while half-open was only paused, so it is answered now.
    await c.waitFor((f) => f.id === 'h')
    exchange.sink.publish('ticker.BTC-PERPETUAL', { a: 2 })
    await c.waitFor((f) => f.method === 'subscription')
  })

  it('delayResponses delays answers', async () => {
    await setup()
    const c = await connect()
    sim.faults.delayResponses(150)
    const t0 = Date.now()
    await c.result('public/test')
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140)
    sim.faults.delayResponses(0)
    const t1 = Date.now()
    await c.result('public/test')
    expect(Date.now() - t1).toBeLessThan(140)
  })

  it('expireTokens by session name or account: 13009 until refreshed', async () => {
    const acc = await setup()
    const c = await connect()
    const t = await authCreds(c, acc, 'session:exp')
    expect(sim.faults.expireTokens('exp')).toBe(1)
    expect(errorOf(await c.call('private/whoami')).code).toBe(13009)
    const t2 = (await c.result('public/auth', {
      grant_type: 'refresh_token',
      refresh_token: t.refresh_token,
    })) as typeof t
    expect(await c.result('private/whoami')).toBeDefined()
    expect(sim.faults.expireTokens(acc.mainAccountId)).toBeGreaterThanOrEqual(1)
    expect(errorOf(await c.call('private/whoami', { access_token: t2.access_token })).code).toBe(13009)
  })

  it('revokeSession invalidates every token of the session', async () => {
    const acc = await setup()
    const c = await connect()
    const t = await authCreds(c, acc, 'session:rv')
    expect(sim.faults.revokeSession('rv')).toBe(1)
    expect(errorOf(await c.call('private/whoami')).code).toBe(13009)
    expect(
      errorOf(await c.call('public/auth', { grant_type: 'refresh_token', refresh_token: t.refresh_token })).code,
    ).toBe(13009)
    expect(c.ws.readyState).toBe(c.ws.OPEN)
  })

  it('failNext injects an error for the next N calls of a method', async () => {
    await setup()
    const c = await connect()
    sim.faults.failNext('public/test', 2, { code: 10040, message: 'retry' })
    expect(errorOf(await c.call('public/test'))).toEqual({ code: 10040, message: 'retry' })
    expect(errorOf(await c.call('public/test')).code).toBe(10040)
    expect(await c.result('public/test')).toBeDefined()
    expect(sim.stats.requests['public/test']).toBe(3)
  })

  it('sendMalformed writes a broken frame', async () => {
    await setup()
    const c = await connect()
    sim.faults.sendMalformed('all', 'not json{')
    await c.waitFor((f) => f.unparseable === 'not json{')
  })

  it('market faults delegate to the exchange', async () => {
    await setup()
    sim.faults.skipChangeId('BTC-PERPETUAL')
    sim.faults.pauseMarket()
    sim.faults.resumeMarket()
    sim.market.burstTrades('BTC-PERPETUAL', 3)
    expect(exchange.marketCalls).toEqual(['skip:BTC-PERPETUAL', 'pause', 'resume', 'burst:BTC-PERPETUAL:3'])
  })

  it('close() closes sockets and the exchange, and is idempotent', async () => {
    await setup()
    const c = await connect()
    await Promise.all([sim.close(), sim.close()])
    await c.closed
    expect(exchange.closed).toBe(true)
    expect(sim.openOrders(1)).toEqual([])
  })
})
