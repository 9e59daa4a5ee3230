import { afterEach, describe, expect, it } from 'vitest'
import { httpSignature } from '../../../src/protocol/signature.js'
import type { CreatedAccount } from '../../../src/simulator/accounts.js'
import { paramsFromQuery } from '../../../src/simulator/httpApi.js'
import type { SimulatorHandle } from '../../../src/simulator/server.js'
import { authCreds, BareClient, type Json, startFake } from './helpers.js'

let sim: SimulatorHandle
let acc: CreatedAccount
const clock = 1_700_000_000_000

async function setup(options: Parameters<typeof startFake>[0] = {}) {
  ;({ sim } = await startFake({ now: () => clock, ...options }))
  acc = sim.createAccount()
}

afterEach(async () => {
  await sim?.close()
})

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const res = await fetch(sim.httpUrl + path, { headers })
  return { status: res.status, body: (await res.json()) as Json }
}

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(sim.httpUrl + path, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  })
  return { status: res.status, body: (await res.json()) as Json }
}

describe('HTTP /api/v2', () => {
  it('GET a public method with query params', async () => {
    await setup()
    const r = await get('/api/v2/public/test?expected_result=exception')
    expect(r.status).toBe(400)
    expect(r.body).toMatchObject({ jsonrpc: '2.0', error: { code: 11094 }, testnet: true })
    const ok = await get('/api/v2/public/get_time')
    expect(ok).toMatchObject({ status: 200, body: { result: clock } })
  })

  it('POST a JSON-RPC body, echoing its id', async () => {
    await setup()
    const r = await post(
      '/api/v2/public/test',
      JSON.stringify({ jsonrpc: '2.0', id: 42, method: 'public/test', params: {} }),
    )
    expect(r).toMatchObject({ status: 200, body: { id: 42, result: { version: expect.any(String) } } })
    expect((await post('/api/v2/public/test', '{oops')).body).toMatchObject({ id: null, error: { code: -32700 } })
  })

  it('public/auth over HTTP, then Bearer; a WS connection token is refused over HTTP', async () => {
    await setup()
    const auth = await get(
      `/api/v2/public/auth?grant_type=client_credentials&client_id=${acc.clientId}&client_secret=${acc.clientSecret}`,
    )
    const token = (auth.body.result as Json).access_token as string
    expect((await get('/api/v2/private/whoami', { authorization: `Bearer ${token}` })).body.result).toEqual({
      accountId: acc.mainAccountId,
      transport: 'http',
    })
    expect((await get('/api/v2/private/whoami')).body.error).toMatchObject({ code: 13009, message: 'unauthorized' })
    const c = await BareClient.connect(sim.url)
    const wsTokens = await authCreds(c, acc)
    expect(
      (await get('/api/v2/private/whoami', { authorization: `Bearer ${wsTokens.access_token}` })).body.error,
    ).toMatchObject({
      code: 13009,
    })
    await c.close()
  })

  it('deri-hmac-sha256 and Basic credentials', async () => {
    await setup()
    const uri = '/api/v2/private/whoami?x=1'
    const sig = httpSignature(acc.clientSecret, clock, 'abc', 'GET', uri, '')
    const header = `deri-hmac-sha256 id=${acc.clientId},ts=${clock},sig=${sig},nonce=abc`
    expect((await get(uri, { authorization: header })).body.result).toMatchObject({ accountId: acc.mainAccountId })
    // The nonce is single-use.
    expect((await get(uri, { authorization: header })).body.error).toMatchObject({ code: 13009 })
    const bodyText = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'private/whoami', params: {} })
    const postSig = httpSignature(acc.clientSecret, clock, 'n2', 'POST', '/api/v2/private/whoami', bodyText)
    const p = await post('/api/v2/private/whoami', bodyText, {
      authorization: `deri-hmac-sha256 id=${acc.clientId},ts=${clock},sig=${postSig},nonce=n2`,
    })
    expect(p.body).toMatchObject({ id: 3, result: { accountId: acc.mainAccountId } })
    const basic = Buffer.from(`${acc.clientId}:${acc.clientSecret}`).toString('base64')
    expect((await get('/api/v2/private/whoami', { authorization: `Basic ${basic}` })).body.result).toMatchObject({
      accountId: acc.mainAccountId,
    })
    const bad = Buffer.from(`${acc.clientId}:wrong`).toString('base64')
    expect((await get('/api/v2/private/whoami', { authorization: `Basic ${bad}` })).body.error).toMatchObject({
      code: 13009,
    })
  })

  it('WebSocket-only methods answer 10030; logout is a 400', async () => {
    await setup()
    const basic = `Basic ${Buffer.from(`${acc.clientId}:${acc.clientSecret}`).toString('base64')}`
    for (const m of ['public/subscribe', 'public/set_heartbeat', 'private/enable_cancel_on_disconnect']) {
      expect((await get(`/api/v2/${m}`, { authorization: basic })).body.error).toMatchObject({
        code: 10030,
        message: 'must_be_websocket_request',
      })
    }
    const logout = await get('/api/v2/private/logout', { authorization: basic })
    expect(logout.status).toBe(400)
    expect(logout.body.error).toMatchObject({ code: 10030 })
  })

  it('cancel-on-disconnect over HTTP works on the account scope only', async () => {
    await setup()
    const basic = { authorization: `Basic ${Buffer.from(`${acc.clientId}:${acc.clientSecret}`).toString('base64')}` }
    expect((await get('/api/v2/private/enable_cancel_on_disconnect', basic)).body.error).toMatchObject({ code: 10030 })
    expect((await get('/api/v2/private/enable_cancel_on_disconnect?scope=account', basic)).body.result).toBe('ok')
    const read = await get('/api/v2/private/get_cancel_on_disconnect?scope=account', basic)
    expect(read.body.result).toEqual({ scope: 'account', enabled: true })
    // A new connection of the account starts with it on.
    const ws = await BareClient.connect(sim.url)
    await ws.result('public/auth', {
      grant_type: 'client_credentials',
      client_id: acc.clientId,
      client_secret: acc.clientSecret,
    })
    expect(await ws.result('private/get_cancel_on_disconnect')).toEqual({ scope: 'connection', enabled: true })
    await ws.close()
  })

  it('a body over 32 kB answers -32600', async () => {
    await setup()
    const r = await post('/api/v2/public/test', JSON.stringify({ pad: 'x'.repeat(40_000) }))
    expect(r.body.error).toEqual({ code: -32600, message: 'request entity too large' })
    expect(r.body).not.toHaveProperty('id')
  })
})

describe('paramsFromQuery', () => {
  it('keeps values as text (validation types them by the spec); repeated keys and JSON make lists', () => {
    expect(
      paramsFromQuery(
        new URLSearchParams('amount=10&post_only=true&channels=a&channels=b&ids=[1,2]&client_id=123&x[]=q'),
      ),
    ).toEqual({ amount: '10', post_only: 'true', channels: ['a', 'b'], ids: [1, 2], client_id: '123', x: ['q'] })
  })
})
