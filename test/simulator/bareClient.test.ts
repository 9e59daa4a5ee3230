/**
 * Drives the whole simulator (server + exchange) with a bare `ws` client and no SDK code:
 * signature auth → exchange_token → fork_token → re-auth → subscribe → market buy (fills against
 * the book) → user.orders notification → logout. Payload shapes (keys and value types) are
 * checked against the real example payloads in fixtures/ (protocol reference §9).
 */

import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { wsSignature } from '../../src/protocol/signature.js'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import { BareClient, type Json } from './server/helpers.js'

function fixture(path: string): Json {
  return JSON.parse(readFileSync(new URL(`../../fixtures/${path}`, import.meta.url), 'utf8')) as Json
}

function kind(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

/**
 * Every key of `expected` is in `actual` with the same JSON type (recursing into objects and the
 * first element of arrays), except keys listed in `optional` (documented as optional or legacy).
 * Returns the mismatches as readable paths.
 */
function shapeMismatches(actual: unknown, expected: unknown, optional: ReadonlySet<string>, path = '$'): string[] {
  if (kind(expected) !== kind(actual)) return [`${path}: expected ${kind(expected)}, got ${kind(actual)}`]
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0 || actual.length === 0) return []
    return shapeMismatches(actual[0], expected[0], optional, `${path}[0]`)
  }
  if (kind(expected) !== 'object') return []
  const out: string[] = []
  const e = expected as Json
  const a = actual as Json
  for (const key of Object.keys(e)) {
    if (!(key in a)) {
      if (!optional.has(key)) out.push(`${path}.${key}: missing`)
      continue
    }
    out.push(...shapeMismatches(a[key], e[key], optional, `${path}.${key}`))
  }
  return out
}

/** Fields Deribit's own schema marks optional or legacy, absent when they do not apply. */
const OPTIONAL = new Set<string>([
  'original_order_type', // OAS-optional: only on market orders the engine turned into limit orders
])

let sim: Simulator
let account: ReturnType<Simulator['createAccount']>

beforeAll(async () => {
  sim = await startSimulator({ seed: 7 })
  account = sim.createAccount({ subaccounts: 1 })
})

afterAll(async () => {
  await sim.close()
})

describe('a bare ws client against the simulator', () => {
  it('signature auth → exchange → fork → subscribe → buy → fill → user.orders → logout', async () => {
    const c = await BareClient.connect(sim.url)
    const timestamp = Date.now()
    const nonce = randomBytes(6).toString('hex')

    // 1. client_signature auth, session-scoped.
    const auth = await c.call('public/auth', {
      grant_type: 'client_signature',
      client_id: account.clientId,
      timestamp,
      nonce,
      data: '',
      signature: wsSignature(account.clientSecret, timestamp, nonce),
      scope: 'session:main',
    })
    expect(shapeMismatches(auth, fixture('auth/client_signature.response.json'), OPTIONAL)).toEqual([])
    expect(auth.testnet).toBe(true)
    const main = auth.result as Json
    expect(main.scope).toMatch(/^session:main mainaccount\b/)

    // 2. exchange_token to the subaccount.
    const sub = account.subaccountIds[0]!
    const exchanged = await c.call('public/exchange_token', { refresh_token: main.refresh_token, subject_id: sub })
    expect(shapeMismatches(exchanged, fixture('tokens/token.response.json'), OPTIONAL)).toEqual([])
    const subTokens = exchanged.result as Json

    // 3. fork_token to a new named session of the subaccount.
    const forked = await c.call('public/fork_token', { refresh_token: subTokens.refresh_token, session_name: 'worker' })
    expect(shapeMismatches(forked, fixture('tokens/token.response.json'), OPTIONAL)).toEqual([])
    const workerTokens = forked.result as Json
    expect(workerTokens.scope).toMatch(/^session:worker\b/)

    // 4. Make the forked session the connection's identity.
    const reauth = await c.call('public/auth', {
      grant_type: 'refresh_token',
      refresh_token: workerTokens.refresh_token,
    })
    expect(reauth.error).toBeUndefined()

    // 5. Subscribe to the subaccount's orders.
    const channels = ['user.orders.BTC-PERPETUAL.raw', 'user.trades.BTC-PERPETUAL.raw']
    const subscribed = await c.call('private/subscribe', { channels })
    expect(subscribed.result).toEqual(channels)
    expect(shapeMismatches(subscribed, fixture('subscribe/private_subscribe.response.json'), OPTIONAL)).toEqual([])

    // 6. A market buy fills against the book at once.
    const buy = await c.call('private/buy', {
      instrument_name: 'BTC-PERPETUAL',
      amount: 10,
      type: 'market',
      label: 'bare1',
    })
    expect(buy.error).toBeUndefined()
    expect(shapeMismatches(buy, fixture('orders/buy.response.json'), OPTIONAL)).toEqual([])
    const result = buy.result as { order: Json; trades: Json[] }
    expect(result.order.order_state).toBe('filled')
    expect(result.trades.length).toBeGreaterThan(0)

    // 7. The user.orders notification for the subaccount's order.
    const note = await c.waitFor(
      (f) => f.method === 'subscription' && (f.params as Json).channel === 'user.orders.BTC-PERPETUAL.raw',
    )
    const data = (note.params as Json).data as Json
    expect(data.order_id).toBe(result.order.order_id)
    expect(shapeMismatches(note, fixture('notifications/user_orders_raw.json'), OPTIONAL)).toEqual([])
    const tradesNote = await c.waitFor(
      (f) => f.method === 'subscription' && (f.params as Json).channel === 'user.trades.BTC-PERPETUAL.raw',
    )
    expect(Array.isArray((tradesNote.params as Json).data)).toBe(true)

    // 8. Logout: no response, close 1000, and the session's tokens are dead.
    c.send(JSON.stringify({ jsonrpc: '2.0', id: 900, method: 'private/logout', params: {} }))
    expect((await c.closed).code).toBe(1000)
    expect(c.frames.some((f) => f.id === 900)).toBe(false)
    const d = await BareClient.connect(sim.url)
    const after = await d.call('private/get_open_orders_by_currency', {
      currency: 'BTC',
      access_token: workerTokens.access_token,
    })
    expect((after.error as Json).code).toBe(13009)
    await d.close()

    // The server saw exactly the frames this client wrote.
    const first = sim.log.connections()[0]!
    expect(sim.log.framesFrom(first.id).map((f) => (JSON.parse(f.text) as Json).method)).toEqual([
      'public/auth',
      'public/exchange_token',
      'public/fork_token',
      'public/auth',
      'private/subscribe',
      'private/buy',
      'private/logout',
    ])
  })
})
