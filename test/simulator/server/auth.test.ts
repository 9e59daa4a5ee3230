import { describe, expect, it } from 'vitest'
import { wsSignature } from '../../../src/protocol/signature.js'
import type { SimulatorHandle } from '../../../src/simulator/server.js'
import { authCreds, errorOf, simFixture, type startFake } from './helpers.js'

let sim: SimulatorHandle
let clock = 1_700_000_000_000

async function setup(options: Parameters<typeof startFake>[0] = {}) {
  clock = 1_700_000_000_000
  ;({ sim } = await fixture.start({ now: () => clock, ...options }))
  return sim.createAccount({ subaccounts: 2 })
}

const fixture = simFixture()
const connect = fixture.connect

describe('public/auth', () => {
  it('client_credentials grants a connection-scoped bearer token with the envelope', async () => {
    const acc = await setup({ tokenLifetimeSec: 30 })
    const c = await connect()
    const r = await c.call('public/auth', {
      grant_type: 'client_credentials',
      client_id: acc.clientId,
      client_secret: acc.clientSecret,
      state: 'xyz',
    })
    expect(r).toMatchObject({ jsonrpc: '2.0', id: 1, testnet: true })
    for (const k of ['usIn', 'usOut', 'usDiff']) expect(Number.isInteger(r[k])).toBe(true)
    const result = r.result as Record<string, unknown>
    expect(result).toMatchObject({ token_type: 'bearer', expires_in: 30, state: 'xyz', enabled_features: [] })
    expect(result.scope).toMatch(/^connection mainaccount /)
    expect(typeof result.access_token).toBe('string')
    expect(sim.stats.authByGrant.client_credentials).toBe(1)
    // The connection is now authenticated: private calls need no token.
    expect(await c.result('private/whoami')).toEqual({ accountId: acc.mainAccountId, transport: 'ws' })
  })

  it('rejects a wrong secret with 13004', async () => {
    const acc = await setup()
    const c = await connect()
    const r = await c.call('public/auth', {
      grant_type: 'client_credentials',
      client_id: acc.clientId,
      client_secret: 'nope',
    })
    expect(errorOf(r)).toMatchObject({ code: 13004, message: 'invalid_credentials' })
    expect(JSON.stringify(r)).not.toContain(acc.clientSecret)
    expect(sim.stats.authFailures).toBe(1)
    expect(errorOf(await c.call('private/whoami'))).toMatchObject({ code: 13009, message: 'unauthorized' })
  })

  it('client_signature: accepts a good signature, rejects stale timestamps, bad signatures and reused nonces', async () => {
    const acc = await setup()
    const c = await connect()
    const sign = (timestamp: number, nonce: string) => ({
      grant_type: 'client_signature',
      client_id: acc.clientId,
      timestamp,
      nonce,
      data: '',
      signature: wsSignature(acc.clientSecret, timestamp, nonce),
    })
    expect((await c.call('public/auth', sign(clock, 'n1'))).result).toBeDefined()
    expect(errorOf(await c.call('public/auth', sign(clock, 'n1'))).code).toBe(13004)
    expect(errorOf(await c.call('public/auth', sign(clock - 61_000, 'n2'))).code).toBe(13004)
    expect(errorOf(await c.call('public/auth', { ...sign(clock, 'n3'), signature: 'ab'.repeat(32) })).code).toBe(13004)
    expect(sim.stats.authByGrant.client_signature).toBe(1)
  })

  it('answers -32602 for a missing grant or param', async () => {
    await setup()
    const c = await connect()
    expect(errorOf(await c.call('public/auth', {}))).toMatchObject({ code: -32602, data: { param: 'grant_type' } })
    expect(errorOf(await c.call('public/auth', { grant_type: 'client_credentials' }))).toMatchObject({
      code: -32602,
      data: { param: 'client_id' },
    })
  })

  it('expired access tokens get 13009, the refresh token still works', async () => {
    const acc = await setup({ tokenLifetimeSec: 5 })
    const c = await connect()
    const tokens = await authCreds(c, acc, 'session:s1')
    expect(await c.result('private/whoami')).toMatchObject({ accountId: acc.mainAccountId })
    clock += 5_001
    expect(errorOf(await c.call('private/whoami'))).toMatchObject({ code: 13009 })
    expect(errorOf(await c.call('private/whoami', { access_token: tokens.access_token })).code).toBe(13009)
    await c.result('public/auth', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
    expect(await c.result('private/whoami')).toMatchObject({ accountId: acc.mainAccountId })
    expect(sim.stats.refreshes).toBe(1)
  })

  it('connection-scoped tokens are valid only on their connection and die with it', async () => {
    const acc = await setup()
    const a = await connect()
    const b = await connect()
    const tokens = await authCreds(a, acc)
    expect(await a.result('private/whoami', { access_token: tokens.access_token })).toMatchObject({
      accountId: acc.mainAccountId,
    })
    expect(errorOf(await b.call('private/whoami', { access_token: tokens.access_token })).code).toBe(13009)
    expect(
      errorOf(await b.call('public/auth', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).code,
    ).toBe(13009)
    await a.close()
    const c = await connect()
    // Session-scoped tokens would survive; connection-scoped ones are gone.
    expect(
      errorOf(await c.call('public/auth', { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).code,
    ).toBe(13009)
  })

  it('session-scoped tokens survive reconnects', async () => {
    const acc = await setup()
    const a = await connect()
    const tokens = await authCreds(a, acc, 'session:keep')
    expect(tokens.scope).toMatch(/^session:keep mainaccount /)
    await a.close()
    const b = await connect()
    expect(await b.result('private/whoami', { access_token: tokens.access_token })).toMatchObject({
      accountId: acc.mainAccountId,
    })
  })

  it('refresh tokens are single-use under reuse=reject (session untouched)', async () => {
    const acc = await setup()
    const c = await connect()
    const t = await authCreds(c, acc, 'session:r')
    const t2 = (await c.result('public/auth', {
      grant_type: 'refresh_token',
      refresh_token: t.refresh_token,
    })) as typeof t
    expect(t2.scope).toMatch(/^session:r /)
    expect(
      errorOf(await c.call('public/auth', { grant_type: 'refresh_token', refresh_token: t.refresh_token })).code,
    ).toBe(13009)
    // The session is untouched: its new tokens still work.
    expect(
      await c.result('public/auth', { grant_type: 'refresh_token', refresh_token: t2.refresh_token }),
    ).toBeDefined()
  })

  it('refresh token reuse under allow and revoke-session', async () => {
    let acc = await setup({ refreshTokenReuse: 'allow' })
    let c = await connect()
    let t = await authCreds(c, acc, 'session:r')
    await c.result('public/auth', { grant_type: 'refresh_token', refresh_token: t.refresh_token })
    expect(await c.result('public/auth', { grant_type: 'refresh_token', refresh_token: t.refresh_token })).toBeDefined()
    await c.close()
    await sim.close()

    acc = await setup({ refreshTokenReuse: 'revoke-session' })
    c = await connect()
    t = await authCreds(c, acc, 'session:r')
    const t2 = (await c.result('public/auth', {
      grant_type: 'refresh_token',
      refresh_token: t.refresh_token,
    })) as typeof t
    expect(
      errorOf(await c.call('public/auth', { grant_type: 'refresh_token', refresh_token: t.refresh_token })).code,
    ).toBe(13009)
    // Reuse detection revoked the whole session, including the newest tokens.
    expect(
      errorOf(await c.call('public/auth', { grant_type: 'refresh_token', refresh_token: t2.refresh_token })).code,
    ).toBe(13009)
    expect(errorOf(await c.call('private/whoami', { access_token: t2.access_token })).code).toBe(13009)
  })

  it('a 17th named session evicts the oldest', async () => {
    const acc = await setup()
    const c = await connect()
    const first = await authCreds(c, acc, 'session:s0')
    const others = []
    for (let i = 1; i <= 16; i++) others.push(await authCreds(c, acc, `session:s${i}`))
    expect(errorOf(await c.call('private/whoami', { access_token: first.access_token })).code).toBe(13009)
    expect(await c.result('private/whoami', { access_token: others[0]!.access_token })).toBeDefined()
  })

  it('the same session name reuses the session rather than adding one', async () => {
    const acc = await setup({ maxSessionsPerKey: 2 })
    const c = await connect()
    const a = await authCreds(c, acc, 'session:a')
    await authCreds(c, acc, 'session:b')
    await authCreds(c, acc, 'session:b')
    expect(await c.result('private/whoami', { access_token: a.access_token })).toBeDefined()
  })
})

describe('exchange_token and fork_token', () => {
  it('exchange_token issues tokens for a subaccount without changing the connection identity', async () => {
    const acc = await setup()
    const c = await connect()
    const t = await authCreds(c, acc, 'session:main')
    const sub = acc.subaccountIds[0]!
    const x = (await c.result('public/exchange_token', { refresh_token: t.refresh_token, subject_id: sub })) as Record<
      string,
      unknown
    >
    expect(x).toMatchObject({ token_type: 'bearer', scope: expect.stringMatching(/^session:main account:/) })
    expect(x).not.toHaveProperty('state')
    expect(x).not.toHaveProperty('enabled_features')
    expect(await c.result('private/whoami')).toMatchObject({ accountId: acc.mainAccountId })
    expect(await c.result('private/whoami', { access_token: x.access_token })).toMatchObject({ accountId: sub })
    // The source session is kept by default.
    expect(await c.result('private/whoami', { access_token: t.access_token })).toMatchObject({
      accountId: acc.mainAccountId,
    })
    // Re-authenticating with the new refresh token makes it the connection's identity.
    await c.result('public/auth', { grant_type: 'refresh_token', refresh_token: x.refresh_token })
    expect(await c.result('private/whoami')).toMatchObject({ accountId: sub })
    expect(sim.stats.exchangeTokens).toBe(1)
  })

  it('exchange_token to an account outside the tree is forbidden (13021)', async () => {
    const acc = await setup()
    const other = sim.createAccount()
    const c = await connect()
    const t = await authCreds(c, acc)
    const r = await c.call('public/exchange_token', { refresh_token: t.refresh_token, subject_id: other.mainAccountId })
    expect(errorOf(r)).toMatchObject({ code: 13021, message: 'forbidden' })
  })

  it('fork_token makes a second session; forking a connection token fails', async () => {
    const acc = await setup()
    const c = await connect()
    const conn = await authCreds(c, acc)
    expect(
      errorOf(await c.call('public/fork_token', { refresh_token: conn.refresh_token, session_name: 'x' })).code,
    ).toBe(13021)
    const s = await authCreds(c, acc, 'session:one')
    const f = (await c.result('public/fork_token', { refresh_token: s.refresh_token, session_name: 'two' })) as Record<
      string,
      unknown
    >
    expect(f.scope).toMatch(/^session:two mainaccount/)
    expect(await c.result('private/whoami', { access_token: f.access_token })).toBeDefined()
    expect(await c.result('private/whoami', { access_token: s.access_token })).toBeDefined()
    expect(sim.stats.forkTokens).toBe(1)
  })

  it("sourceSessionAfterTransition 'revoke' invalidates the source session", async () => {
    const acc = await setup({ sourceSessionAfterTransition: 'revoke' })
    const c = await connect()
    const s = await authCreds(c, acc, 'session:one')
    const f = (await c.result('public/fork_token', { refresh_token: s.refresh_token, session_name: 'two' })) as Record<
      string,
      unknown
    >
    expect(errorOf(await c.call('private/whoami', { access_token: s.access_token })).code).toBe(13009)
    expect(await c.result('private/whoami', { access_token: f.access_token })).toBeDefined()
  })
})

describe('private/logout', () => {
  it('sends no response, closes with 1000 and invalidates the session tokens', async () => {
    const acc = await setup()
    const a = await connect()
    const t = await authCreds(a, acc, 'session:l')
    a.send(JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'private/logout', params: {} }))
    expect((await a.closed).code).toBe(1000)
    expect(a.frames.some((f) => f.id === 99)).toBe(false)
    const b = await connect()
    expect(errorOf(await b.call('private/whoami', { access_token: t.access_token })).code).toBe(13009)
    expect(
      errorOf(await b.call('public/auth', { grant_type: 'refresh_token', refresh_token: t.refresh_token })).code,
    ).toBe(13009)
  })

  it('invalidate_token:false keeps the session usable', async () => {
    const acc = await setup()
    const a = await connect()
    const t = await authCreds(a, acc, 'session:l')
    a.send(JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'private/logout', params: { invalidate_token: false } }))
    expect((await a.closed).code).toBe(1000)
    const b = await connect()
    expect(await b.result('private/whoami', { access_token: t.access_token })).toBeDefined()
  })
})
