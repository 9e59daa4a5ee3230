/**
 * The simulated market's economics as a bot sees them through the public methods: the listing by
 * the calendar, expiry with delivery and settlement, funding, option marks, history, and the
 * trade tape.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, type Harness, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
type Instrument = {
  instrument_name: string
  kind: string
  base_currency: string
  settlement_currency: string
  settlement_period: string
  expiration_timestamp: number
  option_type?: string
  strike?: number
  is_active: boolean
}
const HOUR = 3_600_000

function instruments(h: Harness, params: Json = {}): Instrument[] {
  return h.call<Instrument[]>('public/get_instruments', params)
}

function datedFutures(h: Harness, coin: string): Instrument[] {
  return instruments(h, { currency: coin, kind: 'future' })
    .filter((i) => i.settlement_period !== 'perpetual')
    .sort((a, b) => a.expiration_timestamp - b.expiration_timestamp)
}

describe('listing', () => {
  it('lists BTC and ETH futures of several expiries, options of both types, USDC perpetuals and spot', () => {
    const h = harness()
    const all = instruments(h)
    expect(instruments(h, { currency: 'any' })).toEqual(all)
    const names = all.map((i) => i.instrument_name)
    for (const name of [
      'BTC-PERPETUAL',
      'ETH-PERPETUAL',
      'BTC_USDC-PERPETUAL',
      'ETH_USDC-PERPETUAL',
      'BTC_USDC',
      'ETH_USDC',
    ])
      expect(names).toContain(name)
    expect(all.filter((i) => i.kind === 'spot').map((i) => i.instrument_name)).toEqual(['BTC_USDC', 'ETH_USDC'])
    for (const coin of ['BTC', 'ETH']) {
      const futures = datedFutures(h, coin)
      expect(new Set(futures.map((f) => f.settlement_period))).toEqual(new Set(['week', 'month']))
      expect(futures.length).toBeGreaterThanOrEqual(3)
      // Every expiry is a Friday 08:00 UTC after now, and the name carries its date.
      for (const f of futures) {
        const d = new Date(f.expiration_timestamp)
        expect([d.getUTCDay(), d.getUTCHours()]).toEqual([5, 8])
        expect(f.expiration_timestamp).toBeGreaterThan(h.clock.now)
        expect(f.instrument_name).toBe(
          `${coin}-${d.getUTCDate()}${d.toUTCString().slice(8, 11).toUpperCase()}${String(d.getUTCFullYear()).slice(2)}`,
        )
      }
      const options = instruments(h, { currency: coin, kind: 'option' })
      expect(new Set(options.map((o) => o.option_type))).toEqual(new Set(['call', 'put']))
      expect(new Set(options.map((o) => o.expiration_timestamp)).size).toBeGreaterThanOrEqual(2)
    }
    expect(h.fail('public/get_instruments', { currency: 'XRP' })).toMatchObject({ code: -32602 })
  })

  it('answers ticker numbers (last, high, low) before the first trade', () => {
    const h = harness()
    for (const i of instruments(h)) {
      const t = h.call<Json & { stats: Json }>('public/ticker', { instrument_name: i.instrument_name })
      for (const v of [t.last_price, t.mark_price, t.stats.high, t.stats.low, t.open_interest, t.index_price])
        expect(typeof v).toBe('number')
    }
  })
})

describe('options', () => {
  it('prices calls lower as the strike rises, puts higher, and keeps put-call parity on the forward', () => {
    const h = harness()
    const options = instruments(h, { currency: 'BTC', kind: 'option' })
    const expiry = options[0]?.expiration_timestamp as number
    const mark = (i: Instrument) =>
      h.call<{ mark_price: number; underlying_price: number; greeks: Json }>('public/ticker', {
        instrument_name: i.instrument_name,
      })
    const calls = options.filter((o) => o.expiration_timestamp === expiry && o.option_type === 'call')
    const callMarks = calls.sort((a, b) => (a.strike as number) - (b.strike as number)).map((c) => mark(c).mark_price)
    expect([...callMarks].sort((a, b) => b - a)).toEqual(callMarks)
    expect(new Set(callMarks).size).toBe(callMarks.length)
    const call = calls[0] as Instrument
    const put = options.find(
      (o) => o.option_type === 'put' && o.strike === call.strike && o.expiration_timestamp === expiry,
    )
    const c = mark(call)
    const p = mark(put as Instrument)
    // C - P = (F - K) / S in coin; the forward is within a fraction of a percent of the index.
    const parity =
      ((c.mark_price - p.mark_price) * c.underlying_price) / (c.underlying_price - (call.strike as number) || 1)
    expect(parity).toBeGreaterThan(0.9)
    expect(parity).toBeLessThan(1.1)
    expect((c.greeks.delta as number) - (mark(put as Instrument).greeks.delta as number)).toBeCloseTo(1, 6)
  })
})

describe('expiry', () => {
  it('delivers an expiring future at the 08:00 index: positions settle, orders end, the successor is listed', () => {
    const h = harness()
    const weekly = datedFutures(h, 'BTC')[0] as Instrument
    const { ask, bid } = h.top(weekly.instrument_name)
    h.call('private/buy', { instrument_name: weekly.instrument_name, amount: 100, type: 'market' }, 1)
    const resting = h.call<{ order: { order_id: string } }>(
      'private/buy',
      { instrument_name: weekly.instrument_name, amount: 10, price: bid - 50 },
      1,
    )
    const entry = h.call<{ average_price: number; size: number }>(
      'private/get_position',
      { instrument_name: weekly.instrument_name },
      1,
    )
    expect(entry).toMatchObject({ size: 100 })
    expect(entry.average_price).toBeGreaterThanOrEqual(ask)
    const before = h.call<{ balance: number }>('private/get_account_summary', { currency: 'BTC' }, 1).balance

    h.clock.now = weekly.expiration_timestamp + 5 * 60_000
    const futures = datedFutures(h, 'BTC')
    expect(futures.map((f) => f.instrument_name)).not.toContain(weekly.instrument_name)
    expect(futures.length).toBeGreaterThanOrEqual(3)
    const expired = instruments(h, { currency: 'BTC', expired: true })
    expect(expired.find((i) => i.instrument_name === weekly.instrument_name)).toMatchObject({ is_active: false })

    const delivery = h.call<{ settlements: Json[] }>('public/get_last_settlements_by_instrument', {
      instrument_name: weekly.instrument_name,
      type: 'delivery',
    }).settlements
    expect(delivery).toHaveLength(1)
    const price = delivery[0]?.index_price as number
    const day = new Date(weekly.expiration_timestamp).toISOString().slice(0, 10)
    const prices = h.call<{ data: { date: string; delivery_price: number }[] }>('public/get_delivery_prices', {
      index_name: 'btc_usd',
    }).data
    expect(prices.find((d) => d.date === day)?.delivery_price).toBe(price)

    const after = h.call<{ balance: number }>('private/get_account_summary', { currency: 'BTC' }, 1).balance
    expect(after - before).toBeCloseTo(100 * (1 / entry.average_price - 1 / price), 8)
    expect(h.call<unknown[]>('private/get_positions', { currency: 'BTC', kind: 'future' }, 1)).toEqual([])
    expect(
      h.call<{ order_state: string }>('private/get_order_state', { order_id: resting.order.order_id }, 1).order_state,
    ).toBe('cancelled')
    expect(
      h.fail('private/buy', { instrument_name: weekly.instrument_name, amount: 10, type: 'market' }, 1),
    ).toMatchObject({ code: 10020 })
    const news = h.call<{ body: string }[]>('public/get_announcements')
    expect(news[0]?.body).toContain(weekly.instrument_name)
    const mine = h.call<{ settlements: Json[] }>(
      'private/get_settlement_history_by_instrument',
      { instrument_name: 'BTC-PERPETUAL' },
      1,
    )
    expect(mine.settlements).toEqual([])
    const deliveries = h.call<{ settlements: Json[] }>(
      'private/get_settlement_history_by_currency',
      { currency: 'BTC', type: 'delivery' },
      1,
    )
    expect(deliveries.settlements.find((e) => e.instrument_name === weekly.instrument_name)).toMatchObject({
      type: 'delivery',
      position: 100,
      index_price: price,
    })
  })

  it('makes perpetual positions pay the funding of the session at the 08:00 settlement', () => {
    const h = harness()
    h.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 1000, type: 'market' }, 1)
    h.call('private/sell', { instrument_name: 'BTC-PERPETUAL', amount: 1000, type: 'market' }, 2)
    const balance = (account: number) =>
      h.call<{ balance: number }>('private/get_account_summary', { currency: 'BTC' }, account).balance
    const [long, short] = [balance(1), balance(2)]
    const eight = Math.ceil((h.clock.now - 8 * HOUR) / (24 * HOUR)) * 24 * HOUR + 8 * HOUR
    h.clock.now = eight + 60_000
    const entry = h.call<{ settlements: Json[] }>(
      'private/get_settlement_history_by_instrument',
      { instrument_name: 'BTC-PERPETUAL' },
      1,
    ).settlements[0] as Json
    expect(entry).toMatchObject({ type: 'settlement', timestamp: eight, position: 1000 })
    const accrued = h.call<number>('public/get_funding_rate_value', {
      instrument_name: 'BTC-PERPETUAL',
      start_timestamp: eight - 24 * HOUR,
      end_timestamp: eight,
    })
    expect(entry.funding as number).toBeCloseTo((-1000 / (entry.index_price as number)) * accrued, 7)
    expect(balance(1) - long).toBeCloseTo(entry.funding as number, 8)
    // The short receives what the long pays.
    expect(balance(2) - short).toBeCloseTo(-(entry.funding as number), 8)
  })

  it('settles futures daily at 08:00 with the perpetual funding of the session', () => {
    const h = harness()
    const page = h.call<{ settlements: Json[]; continuation: string }>('public/get_last_settlements_by_currency', {
      currency: 'BTC',
      type: 'settlement',
      count: 5,
    })
    expect(page.settlements).toHaveLength(5)
    expect(page.settlements.every((s) => new Date(s.timestamp as number).getUTCHours() === 8)).toBe(true)
    const next = h.call<{ settlements: Json[] }>('public/get_last_settlements_by_currency', {
      currency: 'BTC',
      type: 'settlement',
      count: 5,
      continuation: page.continuation,
    })
    expect(next.settlements[0]?.timestamp as number).toBeLessThanOrEqual(page.settlements[4]?.timestamp as number)
    const perpetual = h.call<{ settlements: Json[] }>('public/get_last_settlements_by_instrument', {
      instrument_name: 'BTC-PERPETUAL',
      count: 2,
    }).settlements
    const [newest, older] = perpetual as [Json, Json]
    const ticker = h.call<Json>('public/ticker', { instrument_name: 'BTC-PERPETUAL' })
    expect(ticker.settlement_price).toBe(newest.mark_price)
    const funding = h.call<number>('public/get_funding_rate_value', {
      instrument_name: 'BTC-PERPETUAL',
      start_timestamp: older.timestamp,
      end_timestamp: newest.timestamp,
    })
    expect(newest.funding).toBeCloseTo(funding, 8)
  })
})

describe('funding', () => {
  it('accrues interest_value by the funding history, hour by hour', () => {
    const h = harness()
    h.clock.now = Math.ceil(h.clock.now / HOUR) * HOUR
    const start = h.clock.now
    const first = h.call<{ interest_value: number; funding_8h: number; current_funding: number }>('public/ticker', {
      instrument_name: 'BTC-PERPETUAL',
    })
    expect(first.current_funding).toBe(first.funding_8h)
    h.clock.now += 6 * HOUR
    const later = h.call<{ interest_value: number }>('public/ticker', { instrument_name: 'BTC-PERPETUAL' })
    const hours = h.call<{ interest_1h: number; interest_8h: number; timestamp: number }[]>(
      'public/get_funding_rate_history',
      { instrument_name: 'BTC-PERPETUAL', start_timestamp: start + 1, end_timestamp: h.clock.now },
    )
    expect(hours).toHaveLength(6)
    for (const x of hours) expect(x.interest_8h).toBeCloseTo(8 * x.interest_1h, 7)
    const sum = hours.reduce((a, x) => a + x.interest_1h, 0)
    expect(later.interest_value - first.interest_value).toBeCloseTo(sum, 6)
    const past = h.call<{ interest_1h: number }[]>('public/get_funding_rate_history', {
      instrument_name: 'BTC-PERPETUAL',
      start_timestamp: start - 10 * 24 * HOUR,
      end_timestamp: start,
    })
    expect(past.some((x) => x.interest_1h !== 0)).toBe(true)
    expect(
      h.fail('public/get_funding_rate_history', { instrument_name: 'BTC_USDC', start_timestamp: 0, end_timestamp: 1 }),
    ).toMatchObject({
      code: -32602,
    })
    expect(
      h.fail('public/get_funding_rate_value', {
        instrument_name: 'BTC-PERPETUAL',
        start_timestamp: 2,
        end_timestamp: 1,
      }),
    ).toMatchObject({
      code: -32602,
    })
  })
})

describe('trade tape and charts', () => {
  it('keeps public trades for the last-trades queries and folds them into candles and open interest', () => {
    const h = harness()
    h.exchange.market.tick(3000)
    const trades = h.call<{ trades: Json[]; has_more: boolean }>('public/get_last_trades_by_instrument', {
      instrument_name: 'BTC-PERPETUAL',
      count: 1000,
      sorting: 'asc',
    }).trades
    expect(trades.length).toBeGreaterThan(10)
    const seqs = trades.map((t) => t.trade_seq as number)
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs)
    const newest = h.call<{ trades: Json[]; has_more: boolean }>('public/get_last_trades_by_instrument', {
      instrument_name: 'BTC-PERPETUAL',
      count: 2,
    })
    expect(newest.has_more).toBe(true)
    expect(newest.trades.map((t) => t.trade_seq)).toEqual(seqs.slice(-2).reverse())
    const bySeq = h.call<{ trades: Json[] }>('public/get_last_trades_by_instrument', {
      instrument_name: 'BTC-PERPETUAL',
      start_seq: seqs[1],
      end_seq: seqs[2],
    })
    expect(bySeq.trades.map((t) => t.trade_seq).sort()).toEqual([seqs[1], seqs[2]])
    expect(
      h.fail('public/get_last_trades_by_instrument_and_time', { instrument_name: 'BTC-PERPETUAL', end_timestamp: 1 }),
    ).toMatchObject({ code: -32602 })
    const btc = h.call<{ trades: Json[] }>('public/get_last_trades_by_currency', {
      currency: 'BTC',
      count: 1000,
    }).trades
    expect(btc.map((t) => t.trade_id)).toEqual(expect.arrayContaining(trades.slice(-5).map((t) => t.trade_id)))

    const chart = h.call<{ status: string; ticks: number[]; volume: number[]; cost: number[] }>(
      'public/get_tradingview_chart_data',
      {
        instrument_name: 'BTC-PERPETUAL',
        start_timestamp: h.clock.now - HOUR,
        end_timestamp: h.clock.now,
        resolution: '60',
      },
    )
    expect(chart.status).toBe('ok')
    const amount = trades.reduce((a, t) => a + (t.amount as number), 0)
    expect(chart.cost.reduce((a, b) => a + b, 0)).toBeCloseTo(amount, 6)
    expect(
      h.fail('public/get_tradingview_chart_data', {
        instrument_name: 'BTC-PERPETUAL',
        start_timestamp: 0,
        end_timestamp: 1,
        resolution: '7',
      }),
    ).toMatchObject({ code: -32602 })
    expect(h.call<Json>('public/ticker', { instrument_name: 'BTC-PERPETUAL' }).open_interest).toBeGreaterThan(0)
    const volumes = h.call<Json[]>('public/get_trade_volumes', { extended: true })
    expect(volumes.map((v) => v.currency)).toEqual(['BTC', 'ETH'])
    expect(volumes[0]?.futures_volume).toBeGreaterThan(0)
    expect(volumes[0]?.futures_volume_30d).toBeGreaterThanOrEqual(volumes[0]?.futures_volume as number)
  })

  it('charts index, volatility and marks from one history', () => {
    const h = harness()
    const index = h.call<[number, number][]>('public/get_index_chart_data', { index_name: 'btc_usd', range: '1d' })
    expect(index.length).toBeGreaterThan(1000)
    const deliveries = h.call<{ data: { date: string; delivery_price: number }[] }>('public/get_delivery_prices', {
      index_name: 'btc_usd',
      count: 1,
    }).data
    const at8 = Date.parse(`${deliveries[0]?.date}T08:00:00Z`)
    const month = h.call<[number, number][]>('public/get_index_chart_data', { index_name: 'btc_usd', range: '1m' })
    expect(month.find(([t]) => t === at8)?.[1]).toBe(deliveries[0]?.delivery_price)
    const vol = h.call<{ data: number[][] }>('public/get_volatility_index_data', {
      currency: 'BTC',
      start_timestamp: h.clock.now - 6 * HOUR,
      end_timestamp: h.clock.now,
      resolution: '3600',
    }).data
    expect(vol.length).toBeGreaterThanOrEqual(6)
    for (const [, o, hi, lo, c] of vol) {
      expect(hi).toBeGreaterThanOrEqual(Math.max(o as number, c as number))
      expect(lo).toBeLessThanOrEqual(Math.min(o as number, c as number))
    }
    const realized = h.call<[number, number][]>('public/get_historical_volatility', { currency: 'ETH' })
    expect(realized.length).toBeGreaterThan(100)
    expect(realized.every(([, v]) => v > 0 && v < 500)).toBe(true)
    const marks = h.call<[number, number][]>('public/get_mark_price_history', {
      instrument_name: 'BTC-PERPETUAL',
      start_timestamp: h.clock.now - HOUR,
      end_timestamp: h.clock.now,
    })
    expect(marks.length).toBeGreaterThanOrEqual(12)
    expect(h.fail('public/get_index_chart_data', { index_name: 'btc_usd', range: '3w' })).toMatchObject({
      code: -32602,
    })
  })

  it('replays the same market from the same seed and clock', () => {
    const a = harness()
    const b = harness()
    a.exchange.market.tick(500)
    b.exchange.market.tick(500)
    for (const m of ['public/get_index_chart_data', 'public/get_delivery_prices'])
      expect(a.call(m, { index_name: 'eth_usd', range: '1h' })).toEqual(
        b.call(m, { index_name: 'eth_usd', range: '1h' }),
      )
    expect(a.call('public/get_last_trades_by_currency', { currency: 'ETH', count: 100 })).toEqual(
      b.call('public/get_last_trades_by_currency', { currency: 'ETH', count: 100 }),
    )
    expect(a.call('public/ticker', { instrument_name: 'ETH-PERPETUAL' })).toEqual(
      b.call('public/ticker', { instrument_name: 'ETH-PERPETUAL' }),
    )
  })
})

describe('supporting methods', () => {
  it('answers expirations, contract sizes, index names, status and refuses combo books by name', () => {
    const h = harness()
    const exp = h.call<{ future: string[]; option: string[] }>('public/get_expirations', {
      currency: 'BTC',
      kind: 'any',
    })
    expect(exp.future).toContain('PERPETUAL')
    const weekly = datedFutures(h, 'BTC')[0] as Instrument
    expect(exp.future).toContain(weekly.instrument_name.slice(4))
    expect(h.call('public/get_contract_size', { instrument_name: 'BTC-PERPETUAL' })).toEqual({ contract_size: 10 })
    expect(h.call('public/get_index_price_names')).toEqual(['btc_usd', 'eth_usd', 'btc_usdc', 'eth_usdc'])
    expect(h.call<Json[]>('public/get_index_price_names', { extended: true })[0]).toMatchObject({ name: 'btc_usd' })
    expect(h.call('public/status')).toEqual({ locked: 'false', locked_indices: [] })
    const apr = h.call<{ data: { day: number; apr: number }[] }>('public/get_apr_history', {
      currency: 'usdc',
      limit: 3,
    })
    expect(apr.data.map((d) => d.day)).toEqual([0, 1, 2].map((k) => Math.floor(h.clock.now / 86_400_000) - k))
    expect(h.fail('public/get_apr_history', { currency: 'doge' })).toMatchObject({ code: -32602 })
    expect(h.fail('public/get_combos', { currency: 'BTC' })).toMatchObject({
      code: 13025,
      message: 'not_simulated',
      data: { name: 'public/get_combos' },
    })
    const byId = h.call<Json>('public/get_order_book_by_instrument_id', { instrument_id: 124972 })
    expect(byId.instrument_name).toBe('BTC-PERPETUAL')
  })
})
