/**
 * Drives the whole simulator the way an outside client with default options does, with nothing
 * but `fetch` and `ws`: HTTP GET with every value a string, HTTP POST JSON-RPC (to a method path
 * or to `/api/v2` itself), the three HTTP authorizations, every `public/auth` grant, and the
 * WebSocket envelope variants (string ids, no `jsonrpc` field, batches, missing ids).
 */
import { createHmac, randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'

type Json = Record<string, unknown>

let sim: Simulator
let account: ReturnType<Simulator['createAccount']>

beforeAll(async () => {
  sim = await startSimulator({ rateLimits: false })
  account = sim.createAccount()
})

afterAll(async () => {
  await sim?.close()
})

async function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Json }> {
  const res = await fetch(sim.httpUrl + path, { headers, signal: AbortSignal.timeout(5000) })
  return { status: res.status, body: (await res.json()) as Json }
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(sim.httpUrl + path, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
    signal: AbortSignal.timeout(5000),
  })
  return { status: res.status, body: (await res.json()) as Json }
}

const query = (params: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString()

async function token(): Promise<string> {
  const auth = await get(
    `/api/v2/public/auth?${query({ grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret })}`,
  )
  return String((auth.body.result as Json).access_token)
}

/** Deribit's `deri-hmac-sha256` header for one request. */
function hmacHeader(method: string, uri: string, body = '', nonce = randomBytes(8).toString('hex')): string {
  const ts = Date.now()
  const sig = createHmac('sha256', account.clientSecret)
    .update(`${ts}\n${nonce}\n${method}\n${uri}\n${body}\n`)
    .digest('hex')
  return `deri-hmac-sha256 id=${account.clientId},ts=${ts},sig=${sig},nonce=${nonce}`
}

function signatureGrant(): Json {
  const timestamp = Date.now()
  const nonce = randomBytes(6).toString('hex')
  const signature = createHmac('sha256', account.clientSecret).update(`${timestamp}\n${nonce}\n`).digest('hex')
  return { grant_type: 'client_signature', client_id: account.clientId, timestamp, nonce, signature, data: '' }
}

describe('HTTP GET, every value a string', () => {
  it('answers public/test, public/status and public/get_time with the Deribit envelope', async () => {
    for (const method of ['public/test', 'public/status', 'public/get_time']) {
      const r = await get(`/api/v2/${method}`)
      expect(r.status).toBe(200)
      expect(r.body).toMatchObject({ jsonrpc: '2.0', testnet: true })
      expect(r.body.result).toBeDefined()
      expect(typeof r.body.usIn).toBe('number')
    }
    expect((await get('/api/v2/public/test')).body.result).toMatchObject({ version: expect.any(String) })
  })

  it('reads numbers and booleans from strings as the method table types them, and refuses what is neither', async () => {
    const futures = await get(
      `/api/v2/public/get_instruments?${query({ currency: 'BTC', kind: 'future', expired: 'false' })}`,
    )
    const list = futures.body.result as Json[]
    expect(list.length).toBeGreaterThan(0)
    expect(list.every((i) => i.kind === 'future' && i.is_active === true)).toBe(true)
    const book = await get(`/api/v2/public/get_order_book?${query({ instrument_name: 'BTC-PERPETUAL', depth: '5' })}`)
    const { bids, asks } = book.body.result as { bids: unknown[]; asks: unknown[] }
    expect(bids.length).toBeLessThanOrEqual(5)
    expect(asks.length).toBeLessThanOrEqual(5)
    expect(bids.length).toBeGreaterThan(0)
    const badDepth = await get('/api/v2/public/get_order_book?instrument_name=BTC-PERPETUAL&depth=five')
    expect(badDepth.status).toBe(400)
    expect(badDepth.body.error).toMatchObject({ code: -32602, data: { param: 'depth' } })
    // Python's clients write booleans capitalised.
    const pythonic = await get('/api/v2/public/get_instruments?currency=BTC&kind=future&expired=False')
    expect((pythonic.body.result as Json[]).length).toBe(list.length)
    const badBool = await get('/api/v2/public/get_instruments?currency=BTC&expired=maybe')
    expect(badBool.body.error).toMatchObject({ code: -32602, data: { param: 'expired' } })
  })

  it('takes a list param as one value, repeated keys, `key[]` or JSON', async () => {
    const bearer = { authorization: `Bearer ${await token()}` }
    const ticker = (await get('/api/v2/public/ticker?instrument_name=BTC-PERPETUAL')).body.result as Json
    const order = await get(
      `/api/v2/private/buy?${query({ instrument_name: 'BTC-PERPETUAL', amount: '10', type: 'limit', price: String(Math.floor(Number(ticker.best_bid_price) * 0.9)), post_only: 'true' })}`,
      bearer,
    )
    const id = String(((order.body.result as Json).order as Json).order_id)
    for (const ids of [
      `ids=${id}`,
      `ids=${id}&ids=${id}`,
      `ids[]=${id}`,
      `ids=${encodeURIComponent(JSON.stringify([id]))}`,
    ]) {
      const r = await get(`/api/v2/private/get_order_margin_by_ids?${ids}`, bearer)
      expect(r.body.error).toBeUndefined()
      expect((r.body.result as Json[])[0]).toMatchObject({ order_id: id })
    }
  })
})

describe('HTTP authorization', () => {
  it('accepts Bearer, Basic and deri-hmac-sha256 (GET and POST) and refuses a bad or replayed signature', async () => {
    const uri = '/api/v2/private/get_account_summary?currency=BTC'
    const basic = `Basic ${Buffer.from(`${account.clientId}:${account.clientSecret}`).toString('base64')}`
    for (const authorization of [`Bearer ${await token()}`, basic, hmacHeader('GET', uri)]) {
      const r = await get(uri, { authorization })
      expect(r.body.result).toMatchObject({ currency: 'BTC', balance: expect.any(Number) })
    }
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 3,
      method: 'private/get_position',
      params: { instrument_name: 'BTC-PERPETUAL' },
    })
    const signed = await post('/api/v2/private/get_position', body, {
      authorization: hmacHeader('POST', '/api/v2/private/get_position', body),
    })
    expect(signed.body).toMatchObject({ id: 3, result: { instrument_name: 'BTC-PERPETUAL' } })
    // The signature covers the body: another body under the same header is refused.
    const tampered = await post('/api/v2/private/get_position', body.replace('3', '4'), {
      authorization: hmacHeader('POST', '/api/v2/private/get_position', body),
    })
    expect(tampered.body.error).toMatchObject({ code: 13009 })
    const nonce = randomBytes(8).toString('hex')
    expect((await get(uri, { authorization: hmacHeader('GET', uri, '', nonce) })).body.result).toBeDefined()
    expect((await get(uri, { authorization: hmacHeader('GET', uri, '', nonce) })).body.error).toMatchObject({
      code: 13009,
    })
    expect((await get(uri)).body.error).toMatchObject({ code: 13009 })
    // A token among the params, as the WebSocket carries it, serves too.
    const inQuery = await get(`${uri}&access_token=${await token()}`)
    expect(inQuery.body.result).toMatchObject({ currency: 'BTC' })
  })

  it('grants tokens for client_credentials, client_signature and refresh_token over GET', async () => {
    const signed = await get(`/api/v2/public/auth?${query(signatureGrant() as Record<string, string>)}`)
    const tokens = signed.body.result as Json
    expect(tokens).toMatchObject({ token_type: 'bearer', access_token: expect.any(String) })
    const refreshed = await get(
      `/api/v2/public/auth?${query({ grant_type: 'refresh_token', refresh_token: String(tokens.refresh_token) })}`,
    )
    const access = String((refreshed.body.result as Json).access_token)
    const r = await get('/api/v2/private/get_account_summary?currency=ETH', { authorization: `Bearer ${access}` })
    expect(r.body.result).toMatchObject({ currency: 'ETH' })
  })
})

describe('HTTP POST JSON-RPC', () => {
  it('answers at the method path and at /api/v2 itself, echoing string or number ids', async () => {
    const bearer = { authorization: `Bearer ${await token()}` }
    const atPath = await post('/api/v2/public/get_time', {
      jsonrpc: '2.0',
      id: 'time-1',
      method: 'public/get_time',
      params: {},
    })
    expect(atPath.body).toMatchObject({ id: 'time-1', result: expect.any(Number) })
    for (const path of ['/api/v2', '/api/v2/']) {
      const r = await post(
        path,
        { jsonrpc: '2.0', id: 9, method: 'private/get_account_summary', params: { currency: 'BTC' } },
        bearer,
      )
      expect(r.body).toMatchObject({ id: 9, result: { currency: 'BTC' } })
    }
    // Amounts as strings, as several clients send them.
    const buy = await post(
      '/api/v2/private/buy',
      {
        jsonrpc: '2.0',
        id: 10,
        method: 'private/buy',
        params: { instrument_name: 'BTC-PERPETUAL', amount: '10', type: 'market' },
      },
      bearer,
    )
    expect(buy.body).toMatchObject({ id: 10, result: { order: { amount: 10 } } })
  })

  it('refuses a batch and a WebSocket-only method with Deribit errors', async () => {
    const batch = await post('/api/v2/public/test', [{ jsonrpc: '2.0', id: 1, method: 'public/test' }])
    expect(batch.body.error).toMatchObject({ code: 11050 })
    const hello = await get('/api/v2/public/hello?client_name=plain&client_version=1')
    expect(hello.body.error).toMatchObject({ code: 10030 })
  })
})

/** A bare WebSocket that answers by id, keeping every frame. */
async function openWs(): Promise<{ send: (frame: unknown) => void; next: () => Promise<Json>; close: () => void }> {
  const ws = new WebSocket(sim.url)
  await new Promise((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  })
  const frames: Json[] = []
  const waiting: Array<(f: Json) => void> = []
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as Json
    const w = waiting.shift()
    if (w === undefined) frames.push(frame)
    else w(frame)
  })
  return {
    send: (frame) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    next: () => {
      const f = frames.shift()
      if (f !== undefined) return Promise.resolve(f)
      return new Promise<Json>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no frame within 5 s')), 5000)
        waiting.push((frame) => {
          clearTimeout(timer)
          resolve(frame)
        })
      })
    },
    close: () => ws.close(),
  }
}

describe('WebSocket envelope', () => {
  it('answers public/test, public/hello and public/status with string and number ids, with or without `jsonrpc`', async () => {
    const ws = await openWs()
    try {
      ws.send({
        jsonrpc: '2.0',
        id: 'a-1',
        method: 'public/hello',
        params: { client_name: 'plain', client_version: '1.0' },
      })
      expect(await ws.next()).toMatchObject({ id: 'a-1', result: { version: expect.any(String) } })
      ws.send({ jsonrpc: '2.0', id: 2, method: 'public/status' })
      expect(await ws.next()).toMatchObject({ id: 2, result: { locked: expect.any(String) } })
      ws.send({ id: 3, method: 'public/test', params: {} })
      expect(await ws.next()).toMatchObject({ jsonrpc: '2.0', id: 3, result: { version: expect.any(String) } })
    } finally {
      ws.close()
    }
  })

  it('refuses a batch and a request without id, and keeps serving the connection', async () => {
    const ws = await openWs()
    try {
      ws.send([{ jsonrpc: '2.0', id: 1, method: 'public/test' }])
      expect(await ws.next()).toMatchObject({ id: null, error: { code: 11050 } })
      ws.send({ jsonrpc: '2.0', method: 'public/test', params: {} })
      expect(await ws.next()).toMatchObject({ id: null, error: { code: 11050, data: { param: 'id' } } })
      ws.send('{not json')
      expect(await ws.next()).toMatchObject({ id: null, error: { code: -32700 } })
      ws.send({ jsonrpc: '2.0', id: 4, method: 'public/test' })
      expect(await ws.next()).toMatchObject({ id: 4, result: {} })
    } finally {
      ws.close()
    }
  })

  it('authenticates by signature, then serves private calls without access_token, and refreshes', async () => {
    const ws = await openWs()
    try {
      ws.send({ jsonrpc: '2.0', id: 1, method: 'public/auth', params: signatureGrant() })
      const auth = (await ws.next()).result as Json
      expect(auth).toMatchObject({ token_type: 'bearer' })
      ws.send({ jsonrpc: '2.0', id: 2, method: 'private/get_account_summary', params: { currency: 'BTC' } })
      expect(await ws.next()).toMatchObject({ id: 2, result: { currency: 'BTC' } })
      ws.send({
        jsonrpc: '2.0',
        id: 3,
        method: 'public/auth',
        params: { grant_type: 'refresh_token', refresh_token: auth.refresh_token },
      })
      expect(await ws.next()).toMatchObject({ id: 3, result: { access_token: expect.any(String) } })
      ws.send({
        jsonrpc: '2.0',
        id: 4,
        method: 'public/get_order_book',
        params: { instrument_name: 'BTC-PERPETUAL', depth: '1' },
      })
      expect(await ws.next()).toMatchObject({ id: 4, result: { instrument_name: 'BTC-PERPETUAL' } })
    } finally {
      ws.close()
    }
  })
})
