/**
 * The account services the server owns, over a real simulator: API keys (create, disable,
 * reset, remove), the access log and `user.access_log`, `user.lock`, and the private channel
 * families that are refused rather than left silent.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { NOT_SIMULATED_CODE } from '../../../src/simulator/contract.js'
import { type Simulator, startSimulator } from '../../../src/simulator/index.js'
import { BareClient, type Json } from './helpers.js'

let sim: Simulator | undefined
const clients: BareClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await sim?.close()
  sim = undefined
})

async function start(): Promise<{ sim: Simulator; c: BareClient; account: ReturnType<Simulator['createAccount']> }> {
  sim = await startSimulator({ marketRateHz: 0, rateLimits: false })
  const account = sim.createAccount()
  const c = await BareClient.connect(sim.url)
  clients.push(c)
  await c.result('public/auth', {
    grant_type: 'client_credentials',
    client_id: account.clientId,
    client_secret: account.clientSecret,
  })
  return { sim, c, account }
}

async function authWith(s: Simulator, clientId: string, clientSecret: string): Promise<Json> {
  const other = await BareClient.connect(s.url)
  clients.push(other)
  return other.call('public/auth', {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
  })
}

describe('API keys', () => {
  it('creates a key that authenticates; disabled, reset or removed, the old credentials no longer do', async () => {
    const { sim, c } = await start()
    const keys = (await c.result('private/list_api_keys')) as Json[]
    expect(keys).toEqual([expect.objectContaining({ id: 1, default: true, enabled: true })])
    const key = (await c.result('private/create_api_key', {
      max_scope: ['account:read', 'trade:read_write'],
      name: 'bot',
    })) as Json
    expect(key).toMatchObject({ id: 2, default: false, name: 'bot', max_scope: ['account:read', 'trade:read_write'] })
    const id = key.client_id as string
    const secret = key.client_secret as string
    expect((await authWith(sim, id, secret)).result).toBeDefined()
    await c.result('private/disable_api_key', { id: 2 })
    expect((await authWith(sim, id, secret)).error).toMatchObject({ code: 13004 })
    await c.result('private/enable_api_key', { id: 2 })
    const reset = (await c.result('private/reset_api_key', { id: 2 })) as Json
    expect(reset.client_secret).not.toBe(secret)
    expect((await authWith(sim, id, secret)).error).toMatchObject({ code: 13004 })
    expect((await authWith(sim, id, reset.client_secret as string)).result).toBeDefined()
    expect(await c.result('private/remove_api_key', { id: 2 })).toBe('ok')
    expect((await authWith(sim, id, reset.client_secret as string)).error).toMatchObject({ code: 13004 })
    expect((await c.call('private/remove_api_key', { id: 1 })).error).toMatchObject({ code: -32602 })
    expect((await c.call('private/create_api_key', { max_scope: ['everything:all'] })).error).toMatchObject({
      code: -32602,
      data: { param: 'max_scope' },
    })
  })
})

describe('access log', () => {
  it('records each authentication, newest first, and announces it on user.access_log', async () => {
    const { sim, c, account } = await start()
    expect(await c.result('private/subscribe', { channels: ['user.access_log'] })).toEqual(['user.access_log'])
    await authWith(sim, account.clientId, 'wrong-secret')
    await authWith(sim, account.clientId, account.clientSecret)
    const log = (await c.result('private/get_access_log', { count: 10 })) as Json[]
    expect(log.map((e) => e.log)).toEqual(['success', 'failure', 'success'])
    const note = await c.waitFor((f) => f.method === 'subscription' && (f.params as Json).channel === 'user.access_log')
    expect((note.params as Json).data).toMatchObject({ log: 'failure', ip: '127.0.0.1' })
  })
})

describe('account-wide channels', () => {
  it('user.lock announces a lock; get_user_locks reports it and orders in that currency are refused', async () => {
    const { sim, c, account } = await start()
    await c.result('private/subscribe', { channels: ['user.lock'] })
    sim.lockAccount(account.mainAccountId, 'BTC', true)
    const note = await c.waitFor((f) => f.method === 'subscription')
    expect(note.params).toEqual({ channel: 'user.lock', data: { locked: true, currency: 'BTC' } })
    const locks = (await c.result('private/get_user_locks')) as Json[]
    expect(locks).toContainEqual({ currency: 'BTC', enabled: true })
    expect(locks).toContainEqual({ currency: 'ETH', enabled: false })
    const refused = await c.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })
    expect(refused.error).toMatchObject({ code: 13021 })
  })

  it('refuses user.combo_trades with an error naming it, instead of an empty answer', async () => {
    const { c } = await start()
    const r = await c.call('private/subscribe', {
      channels: ['user.orders.any.any.raw', 'user.combo_trades.any.any.raw'],
    })
    expect(r.error).toMatchObject({ code: NOT_SIMULATED_CODE, data: { name: 'user.combo_trades.any.any.raw' } })
    expect(await c.result('private/subscribe', { channels: ['user.mmp_trigger.btc_usd'] })).toEqual([
      'user.mmp_trigger.btc_usd',
    ])
  })
})
