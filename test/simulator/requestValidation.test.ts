import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import { BareClient, type Json } from './server/helpers.js'

let sim: Simulator
let ws: BareClient

beforeAll(async () => {
  sim = await startSimulator({ rateLimits: false })
  const acc = sim.createAccount()
  ws = await BareClient.connect(sim.url)
  await ws.result('public/auth', {
    grant_type: 'client_credentials',
    client_id: acc.clientId,
    client_secret: acc.clientSecret,
  })
})

afterAll(async () => {
  await ws?.close()
  await sim?.close()
})

async function httpGet(path: string): Promise<Json> {
  return (await (await fetch(`${sim.httpUrl}/api/v2/${path}`)).json()) as Json
}

const invalid = (param: string, reason: string | RegExp) => ({
  error: { code: -32602, message: 'Invalid params', data: { param, reason } },
})

describe('request validation against the generated method table', () => {
  it('refuses an out-of-enum value with -32602 naming the param', async () => {
    const r = await ws.call('public/get_instruments', { currency: 'BTC', kind: 'perpetual' })
    expect(r).toMatchObject(invalid('kind', 'must be one of future, option, spot, future_combo, option_combo'))
    const order = await ws.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10, trigger: 'sometimes' })
    expect(order).toMatchObject(invalid('trigger', 'must be one of index_price, mark_price, last_price'))
  })

  it('refuses a missing required param, over WebSocket and HTTP', async () => {
    expect(await ws.call('public/get_order_book', {})).toMatchObject(invalid('instrument_name', 'missing'))
    expect(await httpGet('public/get_order_book')).toMatchObject(invalid('instrument_name', 'missing'))
  })

  it('refuses a wrong type, and a value outside the documented bounds', async () => {
    const r = await ws.call('public/get_order_book', { instrument_name: 'BTC-PERPETUAL', depth: 'deep' })
    expect(r).toMatchObject(invalid('depth', 'must be a number'))
    const list = await ws.call('public/get_book_summary_by_currency', { currency: 7 })
    expect(list).toMatchObject(invalid('currency', 'must be a string'))
    const count = await ws.call('private/get_user_trades_by_instrument', {
      instrument_name: 'BTC-PERPETUAL',
      count: 5000,
    })
    expect(count).toMatchObject(invalid('count', 'must be at most 1000'))
  })

  it('reads numbers and booleans given as text, as query strings and ccxt send them', async () => {
    const r = await httpGet('public/get_order_book?instrument_name=BTC-PERPETUAL&depth=5')
    expect(r.result).toMatchObject({ instrument_name: 'BTC-PERPETUAL' })
    expect(await ws.call('public/get_order_book', { instrument_name: 'BTC-PERPETUAL', depth: '5' })).toHaveProperty(
      'result',
    )
  })

  it('refuses over HTTP a method the spec tags WebSocket-only, with 10030', async () => {
    expect(await httpGet('public/hello?client_name=x&client_version=1')).toMatchObject({ error: { code: 10030 } })
    expect(await ws.call('public/hello', { client_name: 'x', client_version: '1' })).toHaveProperty('result')
  })

  it('keeps unknown methods at -32601', async () => {
    expect(await ws.call('public/no_such_method', { x: 1 })).toMatchObject({ error: { code: -32601 } })
  })
})
