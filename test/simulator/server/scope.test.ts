/**
 * Access scope over a real simulator: a token holds its key's `max_scope` narrowed by the `scope`
 * asked for, reports it in `result.scope`, keeps it through refresh, exchange and fork, and a
 * private call its scope does not allow is refused with 13021 `forbidden`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { NOT_SIMULATED_CODE } from '../../../src/simulator/contract.js'
import { type Simulator, startSimulator } from '../../../src/simulator/index.js'
import { BareClient, errorOf, type Json } from './helpers.js'

let sim: Simulator | undefined
const clients: BareClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await sim?.close()
  sim = undefined
})

type Tokens = { access_token: string; refresh_token: string; scope: string }
const ORDER = { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' }

async function start(): Promise<{ s: Simulator; account: ReturnType<Simulator['createAccount']> }> {
  sim = await startSimulator({ marketRateHz: 0, rateLimits: false })
  return { s: sim, account: sim.createAccount({ subaccounts: 1 }) }
}

async function connect(s: Simulator): Promise<BareClient> {
  const c = await BareClient.connect(s.url)
  clients.push(c)
  return c
}

async function auth(c: BareClient, clientId: string, clientSecret: string, scope?: string): Promise<Tokens> {
  return (await c.result('public/auth', {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_secret: clientSecret,
    ...(scope === undefined ? {} : { scope }),
  })) as Tokens
}

/** A second key of the main account with `max_scope`, made over a full-scope connection. */
async function keyWith(s: Simulator, account: { clientId: string; clientSecret: string }, maxScope: string[]) {
  const admin = await connect(s)
  await auth(admin, account.clientId, account.clientSecret)
  const key = (await admin.result('private/create_api_key', { max_scope: maxScope })) as Json
  return { clientId: String(key.client_id), clientSecret: String(key.client_secret) }
}

const forbidden = (reason: string) => ({ code: 13021, message: 'forbidden', data: { reason } })

describe('scope granted by public/auth', () => {
  it("a key's max_scope bounds its tokens: it reads orders and the account but cannot trade", async () => {
    const { s, account } = await start()
    const key = await keyWith(s, account, ['trade:read', 'account:read'])
    const c = await connect(s)
    const tokens = await auth(c, key.clientId, key.clientSecret)
    expect(tokens.scope).toBe('connection mainaccount account:read trade:read')
    expect(await c.result('private/get_open_orders_by_currency', { currency: 'BTC' })).toEqual([])
    expect(await c.result('private/get_account_summary', { currency: 'BTC' })).toMatchObject({ currency: 'BTC' })
    expect(errorOf(await c.call('private/buy', ORDER))).toEqual(forbidden('scope trade:read_write required'))
    expect(errorOf(await c.call('private/get_deposits', { currency: 'BTC' }))).toEqual(
      forbidden('scope wallet:read required'),
    )
    // Asking for more than the key allows is narrowed, never granted.
    const asked = await auth(c, key.clientId, key.clientSecret, 'trade:read_write wallet:read')
    expect(asked.scope).toBe('connection mainaccount trade:read')
    expect(errorOf(await c.call('private/buy', ORDER)).code).toBe(13021)
    // The refused order never reached the book.
    expect(await c.result('private/get_open_orders_by_currency', { currency: 'BTC' })).toEqual([])
  })

  it('the scope param narrows a full key to what is asked, and area:none removes an area', async () => {
    const { s, account } = await start()
    const c = await connect(s)
    const full = await auth(c, account.clientId, account.clientSecret)
    expect(full.scope).toBe(
      'connection mainaccount account:read_write block_rfq:read_write block_trade:read_write custody:read_write trade:read_write wallet:read_write',
    )
    const narrow = await auth(c, account.clientId, account.clientSecret, 'session:ro trade:read')
    expect(narrow.scope).toBe('session:ro mainaccount trade:read')
    expect(await c.result('private/get_positions', { currency: 'BTC' })).toEqual([])
    expect(errorOf(await c.call('private/buy', ORDER))).toEqual(forbidden('scope trade:read_write required'))
    expect(errorOf(await c.call('private/get_account_summary', { currency: 'BTC' })).code).toBe(13021)
    const denied = await auth(c, account.clientId, account.clientSecret, 'account:none wallet:none')
    expect(denied.scope).toBe(
      'connection mainaccount block_rfq:read_write block_trade:read_write custody:read_write trade:read_write',
    )
    expect(errorOf(await c.call('private/get_account_summary', { currency: 'BTC' })).code).toBe(13021)
    const bad = await c.call('public/auth', {
      grant_type: 'client_credentials',
      client_id: account.clientId,
      client_secret: account.clientSecret,
      scope: 'trade:write',
    })
    expect(errorOf(bad)).toMatchObject({ code: -32602, data: { param: 'scope' } })
  })

  it('a full key (the default) can still trade, read its account and manage keys', async () => {
    const { s, account } = await start()
    const c = await connect(s)
    await auth(c, account.clientId, account.clientSecret, 'session:bot')
    const bought = (await c.result('private/buy', ORDER)) as { order: Json }
    expect(bought.order).toMatchObject({ direction: 'buy', instrument_name: 'BTC-PERPETUAL' })
    expect(await c.result('private/get_account_summary', { currency: 'BTC' })).toMatchObject({ currency: 'BTC' })
    expect(await c.result('private/list_api_keys')).toHaveLength(1)
  })
})

describe('scope kept by refresh, exchange_token and fork_token', () => {
  it('a refresh keeps the scope of the token it refreshes', async () => {
    const { s, account } = await start()
    const c = await connect(s)
    for (const scope of ['trade:read', 'session:keep trade:read']) {
      const first = await auth(c, account.clientId, account.clientSecret, scope)
      const refreshed = (await c.result('public/auth', {
        grant_type: 'refresh_token',
        refresh_token: first.refresh_token,
      })) as Tokens
      expect(refreshed.scope).toBe(first.scope)
      expect(errorOf(await c.call('private/buy', ORDER)).code).toBe(13021)
      expect(await c.result('private/get_open_orders', {})).toEqual([])
    }
  })

  it('exchange_token keeps the scope or narrows it, never widens it; fork_token keeps it', async () => {
    const { s, account } = await start()
    const c = await connect(s)
    const sub = account.subaccountIds[0] ?? 0
    const main = await auth(c, account.clientId, account.clientSecret, 'session:main trade:read_write account:read')
    const same = (await c.result('public/exchange_token', {
      refresh_token: main.refresh_token,
      subject_id: sub,
    })) as Tokens
    // A subaccount's token has no mainaccount scope.
    expect(same.scope).toBe('session:main account:read trade:read_write')
    const narrowed = (await c.result('public/exchange_token', {
      refresh_token: main.refresh_token,
      subject_id: sub,
      scope: 'session:sub trade:read wallet:read_write',
    })) as Tokens
    expect(narrowed.scope).toBe('session:sub trade:read')
    const refused = await c.call('private/buy', { ...ORDER, access_token: narrowed.access_token })
    expect(errorOf(refused)).toEqual(forbidden('scope trade:read_write required'))
    const forked = (await c.result('public/fork_token', {
      refresh_token: narrowed.refresh_token,
      session_name: 'copy',
    })) as Tokens
    expect(forked.scope).toBe('session:copy trade:read')
    expect(errorOf(await c.call('private/buy', { ...ORDER, access_token: forked.access_token })).code).toBe(13021)
  })

  it('methods for main accounts refuse a subaccount token even with full scope', async () => {
    const { s, account } = await start()
    const c = await connect(s)
    const main = await auth(c, account.clientId, account.clientSecret, 'session:main')
    const x = (await c.result('public/exchange_token', {
      refresh_token: main.refresh_token,
      subject_id: account.subaccountIds[0] ?? 0,
    })) as Tokens
    expect(x.scope).toContain('account:read_write')
    const r = await c.call('private/create_subaccount', { access_token: x.access_token })
    expect(errorOf(r)).toEqual(forbidden('main account only'))
    expect(await c.result('private/create_subaccount', {})).toMatchObject({ type: 'subaccount' })
  })
})

describe('scope on other credentials and conditional requirements', () => {
  it("HTTP Basic credentials carry the key's max_scope", async () => {
    const { s, account } = await start()
    const key = await keyWith(s, account, ['trade:read'])
    const basic = `Basic ${Buffer.from(`${key.clientId}:${key.clientSecret}`).toString('base64')}`
    const get = async (path: string) =>
      (await (await fetch(`${s.httpUrl}/api/v2/${path}`, { headers: { authorization: basic } })).json()) as Json
    expect((await get('private/get_open_orders')).result).toEqual([])
    const buy = await get('private/buy?instrument_name=BTC-PERPETUAL&amount=10&type=market')
    expect(buy.error).toEqual(forbidden('scope trade:read_write required'))
  })

  it('block_rfq scope suffices for MMP config only when the call asks about block RFQs', async () => {
    const { s, account } = await start()
    const c = await connect(s)
    await auth(c, account.clientId, account.clientSecret, 'block_rfq:read')
    const plain = await c.call('private/get_mmp_config', { index_name: 'btc_usd' })
    expect(errorOf(plain)).toEqual(forbidden('scope trade:read required'))
    // Past the scope check, the call meets the simulator's answer for block RFQs.
    const rfq = await c.call('private/get_mmp_config', { index_name: 'btc_usd', block_rfq: true })
    expect(errorOf(rfq)).toMatchObject({ code: NOT_SIMULATED_CODE, message: 'not_simulated' })
  })
})
