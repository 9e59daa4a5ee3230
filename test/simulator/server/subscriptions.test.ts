import { describe, expect, it } from 'vitest'
import type { SimulatorHandle } from '../../../src/simulator/server.js'
import { authCreds, errorOf, type FakeExchange, type Json, simFixture, sleep } from './helpers.js'

let sim: SimulatorHandle
let exchange: FakeExchange

async function setup() {
  ;({ sim, exchange } = await fixture.start())
  return sim.createAccount({ subaccounts: 1 })
}

const fixture = simFixture()
const connect = fixture.connect

function connId(): number {
  const open = sim.log.connections().filter((i) => i.open)
  return open[open.length - 1]!.id
}

/**
 * Runs a re-auth on a connection holding `user.orders.any.any.raw` and the BTC ticker, and checks
 * the private subscription ended silently (only the auth answer came) while the public one delivers.
 */
async function expectPrivateEndedSilently(
  c: Awaited<ReturnType<typeof connect>>,
  accountId: number,
  reauth: () => Promise<unknown>,
) {
  const before = c.frames.length
  await reauth()
  expect(c.frames.length).toBe(before + 1) // only the auth response: nothing else was sent
  expect(sim.subscriptionsOf(connId())).toEqual(['ticker.BTC-PERPETUAL.100ms'])
  exchange.sink.publishUser(accountId, 'orders', 'BTC-PERPETUAL', { order_id: 'x' })
  exchange.sink.publish('ticker.BTC-PERPETUAL', { last: 1 })
  await c.waitFor((f) => f.method === 'subscription')
  await sleep(20)
  expect(c.notifications().map((f) => (f.params as Json).channel)).toEqual(['ticker.BTC-PERPETUAL.100ms'])
}

describe('subscribe / unsubscribe', () => {
  it('lists only channels actually subscribed and delivers notifications', async () => {
    await setup()
    const c = await connect()
    const r = await c.result('public/subscribe', {
      channels: [
        'trades.BTC-PERPETUAL.100ms',
        'nonsense.channel',
        'user.orders.any.any.raw',
        'deribit_price_index.btc_usd',
      ],
    })
    expect(r).toEqual(['trades.BTC-PERPETUAL.100ms', 'deribit_price_index.btc_usd'])
    expect(sim.subscriptionsOf(connId()).sort()).toEqual(['deribit_price_index.btc_usd', 'trades.BTC-PERPETUAL.100ms'])
    exchange.sink.publish('trades.BTC-PERPETUAL', [{ trade_id: '1' }])
    exchange.sink.publish('deribit_price_index.btc_usd', { price: 1 })
    const n = await c.waitFor(
      (f) => f.method === 'subscription' && (f.params as Json).channel === 'deribit_price_index.btc_usd',
    )
    expect(n).toEqual({
      jsonrpc: '2.0',
      method: 'subscription',
      params: { channel: 'deribit_price_index.btc_usd', data: { price: 1 } },
    })
    expect(c.notifications('trades.BTC-PERPETUAL.100ms')[0]?.params).toEqual({
      channel: 'trades.BTC-PERPETUAL.100ms',
      data: [{ trade_id: '1' }],
    })
  })

  it('batched frames of every length encoding arrive intact and in order', async () => {
    await setup()
    const c = await connect()
    await c.result('public/subscribe', { channels: ['ticker.BTC-PERPETUAL.100ms'] })
    const sizes = [1, 100, 125, 126, 200, 65_535, 70_000, 3]
    for (const n of sizes) exchange.sink.publish('ticker.BTC-PERPETUAL', { s: 'é'.repeat(n) })
    await c.waitFor(() => c.notifications().length === sizes.length)
    expect(c.notifications().map((f) => ((f.params as Json).data as { s: string }).s.length)).toEqual(sizes)
    expect(await c.result('public/test')).toBeDefined()
  })

  it('trades.{kind}.{currency} receive instrument trades', async () => {
    await setup()
    const c = await connect()
    await c.result('public/subscribe', { channels: ['trades.future.BTC.100ms', 'trades.future.ETH.100ms'] })
    exchange.sink.publish('trades.BTC-PERPETUAL', [{ trade_id: '9' }])
    await c.waitFor((f) => f.method === 'subscription')
    await sleep(20)
    expect(c.notifications().map((f) => (f.params as Json).channel)).toEqual(['trades.future.BTC.100ms'])
  })

  it('sends the book snapshot right after the subscribe response', async () => {
    await setup()
    const c = await connect()
    const r = await c.call('public/subscribe', { channels: ['book.BTC-PERPETUAL.100ms'] })
    const snap = await c.waitFor((f) => f.method === 'subscription')
    expect(c.frames.indexOf(snap)).toBe(c.frames.indexOf(r) + 1)
    expect((snap.params as Json).data).toMatchObject({ type: 'snapshot', change_id: 7 })
  })

  it('unsubscribe returns only what was removed; unsubscribe_all returns "ok"', async () => {
    await setup()
    const c = await connect()
    await c.result('public/subscribe', { channels: ['ticker.BTC-PERPETUAL.100ms', 'ticker.ETH-PERPETUAL.100ms'] })
    expect(
      await c.result('public/unsubscribe', { channels: ['ticker.BTC-PERPETUAL.100ms', 'ticker.BTC-PERPETUAL.agg2'] }),
    ).toEqual(['ticker.BTC-PERPETUAL.100ms'])
    expect(await c.result('public/unsubscribe_all')).toBe('ok')
    expect(sim.subscriptionsOf(connId())).toEqual([])
    exchange.sink.publish('ticker.ETH-PERPETUAL', { x: 1 })
    await sleep(20)
    expect(c.notifications()).toEqual([])
  })

  it('raw channels on an unauthenticated connection answer 13778 for the request', async () => {
    const acc = await setup()
    const c = await connect()
    const r = await c.call('public/subscribe', { channels: ['book.BTC-PERPETUAL.raw', 'ticker.BTC-PERPETUAL.100ms'] })
    expect(errorOf(r)).toMatchObject({ code: 13778, message: 'raw_subscriptions_not_available_for_unauthorized' })
    expect(sim.subscriptionsOf(connId())).toEqual([])
    await authCreds(c, acc)
    expect(await c.result('public/subscribe', { channels: ['book.BTC-PERPETUAL.raw'] })).toEqual([
      'book.BTC-PERPETUAL.raw',
    ])
  })

  it('channels must be a list (-32602)', async () => {
    await setup()
    const c = await connect()
    expect(errorOf(await c.call('public/subscribe', { channels: 'ticker.BTC-PERPETUAL.100ms' }))).toMatchObject({
      code: -32602,
      data: { reason: 'value must be a list', param: 'channels' },
    })
  })
})

describe('private subscriptions', () => {
  it('deliver user.orders as an object on raw and an array on 100ms, with the label', async () => {
    const acc = await setup()
    const c = await connect()
    await authCreds(c, acc)
    expect(
      await c.result('private/subscribe', {
        channels: [
          'user.orders.BTC-PERPETUAL.raw',
          'user.orders.future.BTC.100ms',
          'user.orders.any.any.raw',
          'user.orders.NOPE-X.raw',
        ],
        label: 'mine',
      }),
    ).toEqual(['user.orders.BTC-PERPETUAL.raw', 'user.orders.future.BTC.100ms', 'user.orders.any.any.raw'])
    await c.result('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10 })
    await c.waitFor(() => c.notifications().length === 3)
    const byChannel = Object.fromEntries(c.notifications().map((f) => [(f.params as Json).channel, f.params as Json]))
    expect(byChannel['user.orders.BTC-PERPETUAL.raw']).toMatchObject({ label: 'mine', data: { order_id: 'O-1' } })
    expect(byChannel['user.orders.future.BTC.100ms']?.data).toEqual([expect.objectContaining({ order_id: 'O-1' })])
    expect(byChannel['user.orders.any.any.raw']?.data).toMatchObject({ order_id: 'O-1' })
  })

  it('only the subscribing account receives its events; portfolio matches case-insensitively', async () => {
    const acc = await setup()
    const c = await connect()
    await authCreds(c, acc)
    // Deribit echoes user.portfolio.* in lower case, in the answer and in notifications.
    expect(
      await c.result('private/subscribe', { channels: ['user.portfolio.BTC', 'user.trades.any.any.raw'] }),
    ).toEqual(['user.portfolio.btc', 'user.trades.any.any.raw'])
    exchange.sink.publishUser(acc.subaccountIds[0]!, 'trades', 'BTC-PERPETUAL', [{ t: 'other' }])
    exchange.sink.publishPortfolio(acc.mainAccountId, 'btc', { equity: 1 })
    await c.waitFor((f) => f.method === 'subscription')
    await sleep(20)
    expect(c.notifications().map((f) => f.params)).toEqual([{ channel: 'user.portfolio.btc', data: { equity: 1 } }])
    expect(await c.result('private/unsubscribe', { channels: ['user.portfolio.BTC'] })).toEqual(['user.portfolio.btc'])
  })

  it('end silently when the connection re-authenticates as another identity; public ones continue', async () => {
    const acc = await setup()
    const c = await connect()
    const t = await authCreds(c, acc, 'session:main')
    await c.result('private/subscribe', { channels: ['user.orders.any.any.raw', 'ticker.BTC-PERPETUAL.100ms'] })
    const x = (await c.result('public/exchange_token', {
      refresh_token: t.refresh_token,
      subject_id: acc.subaccountIds[0],
    })) as Json
    // exchange_token alone changes nothing (§10.2).
    expect(sim.subscriptionsOf(connId()).sort()).toEqual(['ticker.BTC-PERPETUAL.100ms', 'user.orders.any.any.raw'])
    await expectPrivateEndedSilently(c, acc.mainAccountId, () =>
      c.result('public/auth', { grant_type: 'refresh_token', refresh_token: x.refresh_token }),
    )
  })

  it('survive a refresh of the same session', async () => {
    const acc = await setup()
    const c = await connect()
    const t = await authCreds(c, acc)
    await c.result('private/subscribe', { channels: ['user.orders.any.any.raw'] })
    await c.result('public/auth', { grant_type: 'refresh_token', refresh_token: t.refresh_token })
    expect(sim.subscriptionsOf(connId())).toEqual(['user.orders.any.any.raw'])
  })

  // §10.3: every connection-scoped sign-in is a new session, so it ends private subscriptions even
  // when the subject stays the same; a refresh grant keeps its session and them.
  it('end silently on a connection-scoped re-auth as the same subject (a new session); public ones continue', async () => {
    const acc = await setup()
    const c = await connect()
    await authCreds(c, acc)
    await c.result('private/subscribe', { channels: ['user.orders.any.any.raw', 'ticker.BTC-PERPETUAL.100ms'] })
    await expectPrivateEndedSilently(c, acc.mainAccountId, () => authCreds(c, acc))
  })

  it('end on re-auth with a token exchanged to the subject the connection is already on', async () => {
    const acc = await setup()
    const c = await connect()
    const t = await authCreds(c, acc)
    await c.result('private/subscribe', { channels: ['user.orders.any.any.raw'] })
    const x = (await c.result('public/exchange_token', {
      refresh_token: t.refresh_token,
      subject_id: acc.mainAccountId,
    })) as Json
    expect(sim.subscriptionsOf(connId())).toEqual(['user.orders.any.any.raw'])
    await c.result('public/auth', { grant_type: 'refresh_token', refresh_token: x.refresh_token })
    expect(sim.subscriptionsOf(connId())).toEqual([])
  })

  it('survive a re-auth into the same named session (the session is reused, not new)', async () => {
    const acc = await setup()
    const c = await connect()
    await authCreds(c, acc, 'session:bot')
    await c.result('private/subscribe', { channels: ['user.orders.any.any.raw'] })
    await authCreds(c, acc, 'session:bot')
    expect(sim.subscriptionsOf(connId())).toEqual(['user.orders.any.any.raw'])
  })

  it('private/subscribe needs authentication (13009)', async () => {
    await setup()
    const c = await connect()
    expect(errorOf(await c.call('private/subscribe', { channels: ['user.orders.any.any.raw'] })).code).toBe(13009)
  })
})
