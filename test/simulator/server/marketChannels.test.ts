/**
 * The public channel families beyond books, trades and tickers, over a real socket on the whole
 * simulator: each delivers payloads of Deribit's shape, and the block trade and block RFQ
 * families are refused with the documented not-simulated error instead of an empty result.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { type Simulator, startSimulator } from '../../../src/simulator/index.js'
import { authCreds, BareClient, errorOf, type Json } from './helpers.js'

const sims: Simulator[] = []
const clients: BareClient[] = []
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()))
  await Promise.all(sims.splice(0).map((s) => s.close()))
})

async function start(): Promise<{ sim: Simulator; clock: { now: number }; c: BareClient }> {
  const clock = { now: Date.UTC(2026, 11, 7, 12) }
  const sim = await startSimulator({ marketRateHz: 0, now: () => clock.now, rateLimits: false })
  sims.push(sim)
  const c = await BareClient.connect(sim.url)
  clients.push(c)
  return { sim, clock, c }
}

function data(c: BareClient, channel: string): unknown[] {
  return c.notifications(channel).map((f) => (f.params as Json).data)
}

async function first(c: BareClient, channel: string): Promise<Json> {
  const frame = await c.waitFor((f) => f.method === 'subscription' && (f.params as Json).channel === channel)
  return (frame.params as Json).data as Json
}

describe('public channel families', () => {
  it('deliver quotes, incremental tickers, perpetual interest and index families as the market moves', async () => {
    const { sim, c } = await start()
    const channels = [
      'quote.BTC-PERPETUAL',
      'incremental_ticker.ETH-PERPETUAL',
      'perpetual.BTC-PERPETUAL.100ms',
      'deribit_price_ranking.btc_usd',
      'deribit_price_statistics.eth_usd',
      'deribit_volatility_index.btc_usd',
      'markprice.options.eth_usd',
      'estimated_expiration_price.btc_usd',
      'platform_state',
      'platform_state.public_methods_state',
      'announcements',
      'instrument.state.any.any',
    ]
    expect(await c.result('public/subscribe', { channels })).toEqual(channels)
    // Snapshots come at once; the rest with the market's steps.
    expect(await first(c, 'platform_state')).toMatchObject({ locked: false })
    expect(await first(c, 'platform_state.public_methods_state')).toEqual({
      allow_unauthenticated_public_requests: true,
    })
    const snapshot = await first(c, 'incremental_ticker.ETH-PERPETUAL')
    expect(snapshot).toMatchObject({
      type: 'snapshot',
      instrument_name: 'ETH-PERPETUAL',
      mark_price: expect.any(Number),
    })
    sim.market.tick(300)
    const quote = await first(c, 'quote.BTC-PERPETUAL')
    expect(quote).toMatchObject({ instrument_name: 'BTC-PERPETUAL', best_bid_price: expect.any(Number) })
    expect(quote.best_bid_price as number).toBeLessThan(quote.best_ask_price as number)
    await c.waitFor(() => data(c, 'incremental_ticker.ETH-PERPETUAL').length >= 2)
    const change = data(c, 'incremental_ticker.ETH-PERPETUAL')[1] as Json
    expect(change).toMatchObject({ type: 'change', instrument_name: 'ETH-PERPETUAL', timestamp: expect.any(Number) })
    expect(Object.keys(change).length).toBeLessThan(Object.keys(snapshot).length)
    expect(await first(c, 'perpetual.BTC-PERPETUAL.100ms')).toEqual({
      timestamp: expect.any(Number),
      index_price: expect.any(Number),
      interest: expect.any(Number),
    })
    const ranking = (await first(c, 'deribit_price_ranking.btc_usd')) as unknown as Json[]
    expect(ranking.length).toBeGreaterThan(1)
    expect(ranking[0]).toMatchObject({ identifier: expect.any(String), price: expect.any(Number), enabled: true })
    const index = await c.result('public/get_index_price', { index_name: 'btc_usd' })
    const mean = ranking.reduce((a, r) => a + (r.price as number), 0) / ranking.length
    expect(Math.abs(mean / (index as { index_price: number }).index_price - 1)).toBeLessThan(0.002)
    const stats = await first(c, 'deribit_price_statistics.eth_usd')
    expect(stats.high24h as number).toBeGreaterThanOrEqual(stats.low24h as number)
    expect(await first(c, 'deribit_volatility_index.btc_usd')).toMatchObject({
      index_name: 'btc_usd',
      volatility: expect.any(Number),
    })
    const marks = (await first(c, 'markprice.options.eth_usd')) as unknown as Json[]
    expect(marks.length).toBeGreaterThan(0)
    expect(marks.every((m) => (m.instrument_name as string).startsWith('ETH-') && (m.iv as number) > 0)).toBe(true)
    expect(await first(c, 'estimated_expiration_price.btc_usd')).toMatchObject({
      seconds: expect.any(Number),
      price: expect.any(Number),
      is_estimated: false,
    })
  })

  it('announce expiries and instrument states when the clock passes an expiry', async () => {
    const { sim, clock, c } = await start()
    const futures = (await c.result('public/get_instruments', { currency: 'BTC', kind: 'future' })) as Json[]
    const weekly = futures
      .filter((f) => f.settlement_period !== 'perpetual')
      .sort((a, b) => (a.expiration_timestamp as number) - (b.expiration_timestamp as number))[0] as Json
    await c.result('public/subscribe', { channels: ['announcements', 'instrument.state.future.BTC'] })
    clock.now = (weekly.expiration_timestamp as number) + 1000
    sim.market.tick(1)
    const states = await c.waitFor(() => data(c, 'instrument.state.future.BTC').length >= 2)
    expect(states).toBeDefined()
    expect(data(c, 'instrument.state.future.BTC')).toEqual(
      expect.arrayContaining([
        { instrument_name: weekly.instrument_name, state: 'settled', timestamp: clock.now },
        { instrument_name: weekly.instrument_name, state: 'closed', timestamp: clock.now },
      ]),
    )
    const news = await first(c, 'announcements')
    expect(news).toMatchObject({ action: 'new', title: expect.any(String), important: false })
    expect(news.body).toContain(weekly.instrument_name)
  })

  it('list new strikes as created then started, tradable at once', async () => {
    const { sim, clock, c } = await start()
    const before = (await c.result('public/get_instruments', { currency: 'BTC', kind: 'option' })) as Json[]
    await c.result('public/subscribe', { channels: ['instrument.state.option.BTC', 'instrument.state.any.any'] })
    const names = sim.market.listStrikes('BTC')
    // One strike above and one below on each expiry, a call and a put each.
    const expiries = new Set(before.map((o) => o.expiration_timestamp))
    expect(names).toHaveLength(expiries.size * 4)
    await c.waitFor(() => data(c, 'instrument.state.option.BTC').length === names.length * 2)
    const name = names[0] as string
    expect(data(c, 'instrument.state.option.BTC').filter((d) => (d as Json).instrument_name === name)).toEqual([
      { instrument_name: name, state: 'created', timestamp: clock.now },
      { instrument_name: name, state: 'started', timestamp: clock.now },
    ])
    await c.waitFor(() => data(c, 'instrument.state.any.any').length === names.length * 2)
    const after = (await c.result('public/get_instruments', { currency: 'BTC', kind: 'option' })) as Json[]
    expect(after.map((o) => o.instrument_name)).toEqual(
      expect.arrayContaining([...before.map((o) => o.instrument_name), ...names]),
    )
    const strikes = (list: Json[]) => list.map((o) => o.strike as number)
    expect(Math.max(...strikes(after))).toBeGreaterThan(Math.max(...strikes(before)))
    expect(Math.min(...strikes(after))).toBeLessThan(Math.min(...strikes(before)))
    expect(await c.result('public/ticker', { instrument_name: name })).toMatchObject({
      instrument_name: name,
      state: 'open',
      mark_price: expect.any(Number),
    })
    expect(() => sim.market.listStrikes('USDC')).toThrow(RangeError)
  })

  it("send an instrument's ticker and quote when an order changes it, without waiting for the market to step there", async () => {
    const { sim, c } = await start()
    await authCreds(c, sim.createAccount())
    const options = (await c.result('public/get_instruments', { currency: 'ETH', kind: 'option' })) as Json[]
    const name = String(options[0]?.instrument_name)
    const channels = [`ticker.${name}.raw`, `quote.${name}`, `incremental_ticker.${name}`]
    await c.result('public/subscribe', { channels })
    await first(c, `incremental_ticker.${name}`)
    // The market is still (rate 0): only the order below changes this option.
    const bought = (await c.result('private/buy', { instrument_name: name, amount: 1, type: 'market' })) as {
      trades: Json[]
    }
    const price = bought.trades.at(-1)?.price
    expect(price).toEqual(expect.any(Number))
    expect(await first(c, `ticker.${name}.raw`)).toMatchObject({ instrument_name: name, last_price: price })
    expect(await first(c, `quote.${name}`)).toMatchObject({ instrument_name: name, best_ask_price: expect.any(Number) })
    await c.waitFor(() => data(c, `incremental_ticker.${name}`).length >= 2)
    expect(data(c, `incremental_ticker.${name}`)[1]).toMatchObject({ type: 'change', last_price: price })
  })

  it('charts trades per resolution on chart.trades', async () => {
    const { sim, c } = await start()
    await c.result('public/subscribe', { channels: ['chart.trades.BTC-PERPETUAL.1', 'chart.trades.BTC-PERPETUAL.1D'] })
    await sim.market.burstTrades('BTC-PERPETUAL', 5)
    const minute = await first(c, 'chart.trades.BTC-PERPETUAL.1')
    expect(minute).toEqual({
      tick: expect.any(Number),
      open: expect.any(Number),
      high: expect.any(Number),
      low: expect.any(Number),
      close: expect.any(Number),
      volume: expect.any(Number),
      cost: expect.any(Number),
    })
    await c.waitFor(() => data(c, 'chart.trades.BTC-PERPETUAL.1D').length === 5)
    const day = data(c, 'chart.trades.BTC-PERPETUAL.1D').at(-1) as Json
    expect(day.tick as number).toBe(Math.floor((day.tick as number) / 86_400_000) * 86_400_000)
    expect(day.cost).toBeGreaterThan(minute.cost as number)
  })

  it('refuse block trade and block RFQ families with the not-simulated error, naming the channel', async () => {
    const { c } = await start()
    for (const channel of ['block_trade_confirmations', 'block_trade_confirmations.BTC', 'block_rfq.taker.any']) {
      const r = await c.call('public/subscribe', { channels: ['quote.BTC-PERPETUAL', channel] })
      expect(errorOf(r)).toEqual({
        code: 13025,
        message: 'not_simulated',
        data: { name: channel, reason: expect.any(String) },
      })
    }
    // Names outside the catalogue are still left out, as Deribit does.
    expect(await c.result('public/subscribe', { channels: ['quote.NOPE', 'chart.trades.BTC-PERPETUAL.7'] })).toEqual([])
  })
})
