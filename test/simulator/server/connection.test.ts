import { describe, expect, it } from 'vitest'
import type { SimulatorHandle } from '../../../src/simulator/server.js'
import {
  authCreds,
  errorOf,
  type FakeExchange,
  type Json,
  simFixture,
  sleep,
  type startFake,
  until,
} from './helpers.js'

let sim: SimulatorHandle
let exchange: FakeExchange

async function setup(options: Parameters<typeof startFake>[0] = {}) {
  ;({ sim, exchange } = await fixture.start({ minHeartbeatIntervalSec: 0.3, ...options }))
  return sim.createAccount()
}

const fixture = simFixture()
const connect = fixture.connect

const isTestRequest = (f: Json) => f.method === 'heartbeat' && (f.params as Json).type === 'test_request'

describe('heartbeat', () => {
  it('rejects an interval under the minimum with -32602', async () => {
    await setup()
    const c = await connect()
    expect(errorOf(await c.call('public/set_heartbeat', { interval: 0.1 }))).toMatchObject({
      code: -32602,
      data: { param: 'interval' },
    })
  })

  it('sends test_request; an unanswered one closes the connection and fires cancel-on-disconnect', async () => {
    const acc = await setup()
    const c = await connect()
    await authCreds(c, acc)
    await c.result('private/enable_cancel_on_disconnect')
    await c.result('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10 })
    expect(await c.result('public/set_heartbeat', { interval: 0.3 })).toBe('ok')
    expect(await c.waitFor(isTestRequest)).toEqual({
      jsonrpc: '2.0',
      method: 'heartbeat',
      params: { type: 'test_request' },
    })
    const closed = await c.closed
    expect(closed.code).not.toBe(1000)
    expect(sim.stats.heartbeatTimeouts).toBe(1)
    await until(() => exchange.orders[0]?.open === false)
    expect(sim.stats.codCancelledOrders).toBe(1)
  })

  it('stays open while test_requests are answered; disable_heartbeat stops them', async () => {
    await setup()
    const c = await connect()
    c.ws.on('message', (d) => {
      if (isTestRequest(JSON.parse(d.toString()) as Json))
        c.send('{"jsonrpc":"2.0","id":"hb","method":"public/test","params":{}}')
    })
    await c.result('public/set_heartbeat', { interval: 0.3 })
    await sleep(1000)
    expect(c.ws.readyState).toBe(c.ws.OPEN)
    expect(c.frames.filter(isTestRequest).length).toBeGreaterThanOrEqual(2)
    await c.result('public/disable_heartbeat')
    const count = c.frames.filter(isTestRequest).length
    await sleep(700)
    expect(c.frames.filter(isTestRequest).length).toBe(count)
  })
})

describe('cancel-on-disconnect', () => {
  it('is off by default; enable/get/disable with connection and account scope', async () => {
    const acc = await setup()
    const c = await connect()
    await authCreds(c, acc)
    expect(await c.result('private/get_cancel_on_disconnect')).toEqual({ scope: 'connection', enabled: false })
    await c.result('private/enable_cancel_on_disconnect', { scope: 'account' })
    expect(await c.result('private/get_cancel_on_disconnect', { scope: 'account' })).toEqual({
      scope: 'account',
      enabled: true,
    })
    // A new connection of the account starts with COD on.
    const d = await connect()
    await authCreds(d, acc)
    expect(await d.result('private/get_cancel_on_disconnect')).toEqual({ scope: 'connection', enabled: true })
    await d.result('private/disable_cancel_on_disconnect')
    expect(await d.result('private/get_cancel_on_disconnect')).toEqual({ scope: 'connection', enabled: false })
  })

  it("cancels only that connection's orders when it closes, not on logout", async () => {
    const acc = await setup()
    const a = await connect()
    const b = await connect()
    await authCreds(a, acc)
    await authCreds(b, acc)
    await a.result('private/enable_cancel_on_disconnect')
    await b.result('private/enable_cancel_on_disconnect')
    await a.result('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10 })
    await b.result('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10 })
    await a.close()
    await sleep(20)
    expect(exchange.orders.map((o) => o.open)).toEqual([false, true])
    b.send('{"jsonrpc":"2.0","id":1000,"method":"private/logout","params":{}}')
    await b.closed
    await sleep(20)
    expect(exchange.orders.map((o) => o.open)).toEqual([false, true])
  })
})

describe('misc public methods', () => {
  it('public/test, hello, get_time', async () => {
    await setup({ now: () => 1_700_000_000_123 })
    const c = await connect()
    expect(await c.result('public/test')).toEqual({ version: expect.any(String) })
    expect(errorOf(await c.call('public/test', { expected_result: 'exception' })).code).toBe(11094)
    expect(await c.result('public/hello', { client_name: 'x', client_version: '1' })).toEqual({
      version: expect.any(String),
    })
    const r = await c.call('public/get_time')
    expect(r.result).toBe(1_700_000_000_123)
    expect(r.usIn).toBe(1_700_000_000_123_000)
  })
})

describe('malformed input (§10.10): answered, connection kept open', () => {
  it('unparseable JSON → -32700 with id null', async () => {
    await setup()
    const c = await connect()
    c.send('{"jsonrpc":"2.0","id":1,')
    const f = await c.waitFor((x) => x.error !== undefined)
    expect(f).toMatchObject({ id: null, error: { code: -32700, message: 'Parse error' } })
    expect(await c.result('public/test')).toBeDefined()
  })

  it('frame over 32 kB → -32600 with no id', async () => {
    await setup()
    const c = await connect()
    c.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'public/test', params: { pad: 'x'.repeat(33 * 1024) } }))
    const f = await c.waitFor((x) => x.error !== undefined)
    expect(f).not.toHaveProperty('id')
    expect(f.error).toEqual({ code: -32600, message: 'request entity too large' })
    expect(await c.result('public/test')).toBeDefined()
  })

  it('unknown method → -32601, bad params → -32602, batch → 11050, handler crash → 11094', async () => {
    await setup()
    const c = await connect()
    expect(errorOf(await c.call('public/no_such_thing'))).toMatchObject({ code: -32601, message: 'Method not found' })
    c.send('{"jsonrpc":"2.0","id":7,"method":"public/test","params":[1]}')
    expect(errorOf(await c.waitFor((f) => f.id === 7))).toMatchObject({ code: -32602, data: { param: 'params' } })
    c.send('[{"jsonrpc":"2.0","id":8,"method":"public/test"}]')
    expect(await c.waitFor((f) => (f.error as Json | undefined)?.code === 11050)).toMatchObject({ id: null })
    expect(errorOf(await c.call('public/explode'))).toMatchObject({ code: 11094, message: 'internal_server_error' })
    expect(c.ws.readyState).toBe(c.ws.OPEN)
  })
})

describe('rate limits', () => {
  it('answers 10028 when the pool is empty, then closes with 1008', async () => {
    await setup({ rateLimits: { default: { cost: 500, max: 1500, refillPerSec: 1 } } })
    const c = await connect()
    for (let i = 0; i < 3; i++) await c.result('public/test')
    const r = await c.call('public/test')
    expect(errorOf(r)).toEqual({ code: 10028, message: 'too_many_requests' })
    expect((await c.closed).code).toBe(1008)
    expect(sim.stats.rateLimited).toBe(1)
  })

  it('charges subscribe to its own pool', async () => {
    await setup({ rateLimits: { subscribe: { cost: 3000, max: 6000, refillPerSec: 1 } } })
    const c = await connect()
    await c.result('public/subscribe', { channels: ['ticker.BTC-PERPETUAL.100ms'] })
    await c.result('public/subscribe', { channels: ['ticker.BTC-PERPETUAL.100ms'] })
    for (let i = 0; i < 5; i++) await c.result('public/test')
    expect(errorOf(await c.call('public/subscribe', { channels: ['ticker.BTC-PERPETUAL.100ms'] })).code).toBe(10028)
    expect((await c.closed).code).toBe(1008)
  })

  it('are on by default with the documented pools (burst of 100 default-cost calls)', async () => {
    ;({ sim, exchange } = await fixture.start({ rateLimits: {} }))
    const c = await connect()
    for (let i = 1; i <= 101; i++) c.send(`{"jsonrpc":"2.0","id":${i},"method":"public/test"}`)
    expect((await c.closed).code).toBe(1008)
    expect(c.frames.filter((f) => f.result !== undefined)).toHaveLength(100)
    expect(c.frames.find((f) => f.error !== undefined)).toMatchObject({ id: 101, error: { code: 10028 } })
  })
})

describe('connection log', () => {
  it('records every frame each client sent, in order, and the identity', async () => {
    const acc = await setup()
    const c = await connect()
    c.send('garbage')
    await c.waitFor((f) => f.id === null)
    await authCreds(c, acc, 'session:logme')
    const info = sim.log.connections()[0]!
    expect(info).toMatchObject({ open: true, accountId: acc.mainAccountId, session: 'logme' })
    const frames = sim.log.framesFrom(info.id)
    expect(frames.map((f) => f.text)[0]).toBe('garbage')
    expect(JSON.parse(frames[1]!.text)).toMatchObject({ method: 'public/auth' })
    expect(sim.log.allFrames()).toHaveLength(2)
    await c.close()
    await sleep(20)
    expect(sim.log.connections()[0]).toMatchObject({ open: false, closeCode: 1005 })
  })
})
