/**
 * An outside client against the simulator: ccxt (pinned), with its default options and only its
 * URLs pointed at a loopback simulator, runs its unified REST and WebSocket API. Each call is
 * checked for what a bot would rely on: the order it placed is open, the fill it got is in its
 * trades, the candles are a minute apart.
 */
import ccxt from 'ccxt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'

type Pro = InstanceType<typeof ccxt.pro.deribit>
const PERP = 'BTC/USD:BTC'

let sim: Simulator
let ex: Pro

/** Resolves `p`, or fails after `ms` naming what it waited for. */
function within<T>(what: string, p: Promise<T>, ms = 10_000): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not resolve within ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

beforeAll(async () => {
  sim = await startSimulator({ marketRateHz: 50 })
  const account = sim.createAccount()
  ex = new ccxt.pro.deribit({ apiKey: account.clientId, secret: account.clientSecret })
  ex.urls.api = { ...ex.urls.api, ws: sim.url, rest: sim.httpUrl }
  // ccxt loads its http agent lazily and refuses plain ws:// until it has.
  await ex.loadHttpProxyAgent()
})

afterAll(async () => {
  await ex?.close()
  await sim?.close()
})

describe('ccxt unified API on the simulator, default options', () => {
  it('loads every market: perpetuals, dated futures, BTC and ETH options, spot', async () => {
    const markets = await ex.loadMarkets()
    const instruments = (await ex.publicGetGetInstruments()) as { result: unknown[] }
    expect(Object.keys(markets)).toHaveLength(instruments.result.length)
    const list = Object.values(markets)
    expect(markets[PERP]).toMatchObject({ swap: true, inverse: true, contractSize: 10 })
    expect(markets['BTC/USDC']).toMatchObject({ spot: true })
    for (const base of ['BTC', 'ETH']) {
      expect(list.some((m) => m?.base === base && m.future)).toBe(true)
      expect(list.some((m) => m?.base === base && m.option && m.optionType === 'call')).toBe(true)
      expect(list.some((m) => m?.base === base && m.option && m.optionType === 'put')).toBe(true)
    }
  })

  it('fetches tickers, the order book, trades and candles', async () => {
    sim.market.tick(400)
    const ticker = await ex.fetchTicker(PERP)
    expect(ticker.symbol).toBe(PERP)
    expect(typeof ticker.last).toBe('number')
    expect(ticker.bid as number).toBeLessThan(ticker.ask as number)
    const tickers = await ex.fetchTickers(undefined, { code: 'ETH' })
    expect(Object.keys(tickers)).toContain('ETH/USD:ETH')
    const book = await ex.fetchOrderBook(PERP)
    expect(book.bids.length).toBeGreaterThan(0)
    expect(book.bids[0]?.[0] as number).toBeLessThan(book.asks[0]?.[0] as number)
    const trades = await ex.fetchTrades(PERP)
    expect(trades.length).toBeGreaterThan(0)
    const times = trades.map((t) => t.timestamp as number)
    expect([...times].sort((a, b) => a - b)).toEqual(times)
    const candles = await ex.fetchOHLCV(PERP, '1m', undefined, 5)
    expect(candles.length).toBeGreaterThanOrEqual(4)
    for (let i = 1; i < candles.length; i++)
      expect((candles[i]?.[0] as number) - (candles[i - 1]?.[0] as number)).toBe(60_000)
    for (const [, open, high, low, close] of candles) {
      expect(high).toBeGreaterThanOrEqual(Math.max(open as number, close as number))
      expect(low).toBeLessThanOrEqual(Math.min(open as number, close as number))
    }
  })

  it('places, finds, edits and cancels a limit order; a market order fills into trades and a position', async () => {
    const btcTotal = async () => ((await ex.fetchBalance()).total as unknown as Record<string, number>).BTC
    expect(await btcTotal()).toBe(10)
    const { bid } = (await ex.fetchTicker(PERP)) as { bid: number }
    const price = Math.floor((bid * 0.9) / 0.5) * 0.5
    const limit = await ex.createOrder(PERP, 'limit', 'buy', 10, price)
    const id = limit.id as string
    expect(limit.status).toBe('open')
    expect((await ex.fetchOpenOrders(PERP)).map((o) => o.id)).toContain(limit.id)
    expect(await ex.fetchOrder(id, PERP)).toMatchObject({ id, price, status: 'open' })
    const edited = await ex.editOrder(id, PERP, 'limit', 'buy', 20, price - 0.5)
    expect(edited).toMatchObject({ id, price: price - 0.5, amount: 20 })
    expect(await ex.fetchOrder(id, PERP)).toMatchObject({ price: price - 0.5, amount: 20 })
    const cancelled = await ex.cancelOrder(id, PERP)
    expect(cancelled.status).toBe('canceled')
    expect((await ex.fetchOpenOrders(PERP)).map((o) => o.id)).not.toContain(limit.id)

    const market = await ex.createOrder(PERP, 'market', 'buy', 10)
    expect(market.status).toBe('closed')
    expect(market.filled).toBe(10)
    expect((await ex.fetchClosedOrders(PERP)).map((o) => o.id)).toContain(market.id)
    const mine = await ex.fetchMyTrades(PERP)
    expect(mine.filter((t) => t.order === market.id).reduce((a, t) => a + (t.amount as number), 0)).toBe(10)
    const positions = await ex.fetchPositions([PERP])
    // ccxt reports Deribit's position size (USD) as contracts.
    expect(positions.find((p) => p.symbol === PERP)).toMatchObject({ side: 'long', contracts: 10, contractSize: 10 })
    // The taker fee left the account.
    expect(await btcTotal()).toBeLessThan(10)
  })

  it('cancels all open orders of a market', async () => {
    const { bid } = (await ex.fetchTicker(PERP)) as { bid: number }
    const price = Math.floor((bid * 0.8) / 0.5) * 0.5
    await ex.createOrder(PERP, 'limit', 'buy', 10, price)
    await ex.createOrder(PERP, 'limit', 'buy', 10, price - 10)
    expect(await ex.fetchOpenOrders(PERP)).toHaveLength(2)
    await ex.cancelAllOrders(PERP)
    expect(await ex.fetchOpenOrders(PERP)).toEqual([])
  })

  it('fetches time, status and the funding rate', async () => {
    expect(Math.abs(((await ex.fetchTime()) as number) - Date.now())).toBeLessThan(60_000)
    expect(await ex.fetchStatus()).toMatchObject({ status: 'ok' })
    const funding = await ex.fetchFundingRate(PERP)
    expect(funding.symbol).toBe(PERP)
    expect(Number.isFinite(funding.fundingRate)).toBe(true)
  })

  it('watches trades, the book, the ticker and candles', async () => {
    const trades = ex.watchTrades(PERP)
    const book = ex.watchOrderBook(PERP)
    const ticker = ex.watchTicker(PERP)
    const candles = ex.watchOHLCV(PERP, '1m')
    // The first watch subscribes; trades then come from the market and from a burst.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await sim.market.burstTrades('BTC-PERPETUAL', 3)
    const t = await within('watchTrades', trades)
    expect(t.length).toBeGreaterThan(0)
    expect(t[0]).toMatchObject({ symbol: PERP, price: expect.any(Number) })
    const b = await within('watchOrderBook', book)
    expect(b.bids.length).toBeGreaterThan(0)
    expect(b.bids[0]?.[0] as number).toBeLessThan(b.asks[0]?.[0] as number)
    expect(await within('watchTicker', ticker)).toMatchObject({ symbol: PERP, last: expect.any(Number) })
    const c = await within('watchOHLCV', candles)
    expect(c.length).toBeGreaterThan(0)
    expect((c.at(-1)?.[0] as number) % 60_000).toBe(0)
  })

  it('watches its own orders, trades and balance as a market order fills', async () => {
    const orders = ex.watchOrders(PERP)
    const myTrades = ex.watchMyTrades(PERP)
    const balance = ex.watchBalance()
    await new Promise((resolve) => setTimeout(resolve, 500))
    const order = await ex.createOrder(PERP, 'market', 'sell', 10)
    const o = await within('watchOrders', orders)
    expect(o.map((x) => x.id)).toContain(order.id)
    const t = await within('watchMyTrades', myTrades)
    expect(t.some((x) => x.order === order.id)).toBe(true)
    // ccxt keeps each user.portfolio notification's parsed balance under its currency.
    const bal = (await within('watchBalance', balance)) as unknown as Record<string, { total: Record<string, number> }>
    expect(bal.BTC?.total.BTC).toBeGreaterThan(9.9)
    expect(bal.BTC?.total.BTC).toBeLessThan(10)
  })
})
