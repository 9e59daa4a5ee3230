import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, type Harness, harness } from './harness.js'

afterEach(closeAll)

interface OrderResult {
  order: Record<string, unknown>
  trades: Record<string, unknown>[]
}

const BTC = 'BTC-PERPETUAL'

describe('accounts', () => {
  it('reports the account id, balances, margins and limits in the account summary', () => {
    const h = harness({ startingBalance: { BTC: 2, ETH: 0, USDC: 500 } })
    const summary = h.call<Record<string, unknown>>('private/get_account_summary', { currency: 'BTC' }, 11)
    expect(summary).toMatchObject({
      id: 11,
      currency: 'BTC',
      balance: 2,
      equity: 2,
      available_funds: 2,
      initial_margin: 0,
      maintenance_margin: 0,
    })
    expect(summary.limits).toMatchObject({
      matching_engine: { trading: { total: { rate: 5, burst: 20 } } },
      non_matching_engine: { rate: 1000 },
    })
    const all = h.call<{ id: number; summaries: Record<string, unknown>[] }>('private/get_account_summaries', {}, 11)
    expect(all.id).toBe(11)
    expect(all.summaries.map((s) => [s.currency, s.balance])).toEqual([
      ['BTC', 2],
      ['ETH', 0],
      ['USDC', 500],
    ])
    expect(h.fail('private/get_account_summary', { currency: 'DOGE' }, 11)).toMatchObject({
      code: -32602,
      data: { param: 'currency' },
    })
    expect(h.fail('private/get_account_summary', { currency: 'BTC' })).toMatchObject({ code: 13009 })
  })

  it('keeps accounts apart: orders, positions and balances of one are invisible to another', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const sub = h.call<OrderResult>(
      'private/buy',
      { instrument_name: BTC, amount: 10, price: bid - 100, label: 'sub' },
      11,
    )
    h.call('private/buy', { instrument_name: BTC, amount: 10, type: 'market' }, 11)
    expect(h.call<unknown[]>('private/get_open_orders_by_currency', { currency: 'BTC' }, 1)).toEqual([])
    expect(h.call<unknown[]>('private/get_positions', { currency: 'BTC' }, 1)).toEqual([])
    expect(h.call<unknown[]>('private/get_order_state_by_label', { currency: 'BTC', label: 'sub' }, 1)).toEqual([])
    expect(h.call('private/cancel_all', {}, 1)).toBe(0)
    expect(h.call<Record<string, unknown>>('private/get_account_summary', { currency: 'BTC' }, 1).balance).toBe(10)
    expect(h.call<unknown[]>('private/get_open_orders_by_currency', { currency: 'BTC' }, 11)).toHaveLength(1)
    expect(h.call<unknown[]>('private/get_positions', { currency: 'BTC' }, 11)).toHaveLength(1)
    expect(h.sink.user.every((e) => e.accountId === 11)).toBe(true)
    expect(h.exchange.openOrders(11).map((o) => o.order_id)).toEqual([sub.order.order_id])
  })

  it('books positions, fees and realized P&L from fills', () => {
    const h = harness()
    const { bid, ask } = h.top(BTC)
    const mid = (bid + ask) / 2
    h.call('private/sell', { instrument_name: BTC, amount: 1000, price: mid }, 2)
    const buy = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 1000, price: mid }, 1)
    expect(buy.trades[0]).toMatchObject({ fee_currency: 'BTC', liquidity: 'T', amount: 1000, price: mid })
    const fee = buy.trades[0]?.fee as number
    expect(fee).toBeCloseTo((0.0005 * 1000) / mid, 8)
    const long = h.call<Record<string, unknown>>('private/get_position', { instrument_name: BTC }, 1)
    expect(long).toMatchObject({ direction: 'buy', size: 1000, average_price: mid, kind: 'future' })
    const short = h.call<Record<string, unknown>[]>('private/get_positions', { currency: 'BTC', kind: 'future' }, 2)
    expect(short).toEqual([expect.objectContaining({ instrument_name: BTC, direction: 'sell', size: -1000 })])
    const summary = h.call<Record<string, unknown>>('private/get_account_summary', { currency: 'BTC' }, 1)
    expect(summary.balance).toBeCloseTo(10 - fee, 8)
    expect(summary.initial_margin as number).toBeGreaterThan(0)
    const portfolio = h.sink.userEvents(1, 'portfolio').at(-1) as Record<string, unknown>
    expect(portfolio).toMatchObject({ currency: 'BTC' })
    const changes = h.sink.userEvents(1, 'changes').at(-1) as { positions: Record<string, unknown>[] }
    expect(changes.positions[0]).toMatchObject({ size: 1000 })
    // Close against the market maker's bids: each fill realizes its own P&L into the balance.
    const close = h.call<OrderResult>(
      'private/sell',
      { instrument_name: BTC, amount: 5000, type: 'market', reduce_only: true },
      1,
    )
    expect(close.order.amount).toBe(1000)
    expect(close.order.order_state).toBe('filled')
    let realized = 0
    for (const t of close.trades) {
      const expected = (t.amount as number) * (1 / mid - 1 / (t.price as number))
      expect(t.profit_loss as number).toBeCloseTo(expected, 8)
      realized += t.profit_loss as number
    }
    expect(realized).toBeLessThan(0)
    const fees = close.trades.reduce((sum, t) => sum + (t.fee as number), 0)
    const after = h.call<Record<string, unknown>>('private/get_account_summary', { currency: 'BTC' }, 1)
    expect(after.balance).toBeCloseTo(10 - fee - fees + realized, 8)
    expect(h.call<Record<string, unknown>>('private/get_position', { instrument_name: BTC }, 1)).toMatchObject({
      size: 0,
      direction: 'zero',
    })
  })

  it('trades options in coin premiums on their stepped tick', () => {
    const h = harness()
    const name = firstOption(h)
    expect(h.fail('private/buy', { instrument_name: name, amount: 1, price: 0.0123 }, 1)).toMatchObject({ code: 10043 })
    expect(h.fail('private/buy', { instrument_name: name, amount: 0.15, price: 0.01 }, 1)).toMatchObject({
      code: -32602,
    })
    const { ask } = h.top(name)
    const buy = h.call<OrderResult>('private/buy', { instrument_name: name, amount: 0.3, price: ask }, 1)
    expect(buy.order).toMatchObject({ order_state: 'filled', filled_amount: 0.3, average_price: ask })
    const summary = h.call<Record<string, number>>('private/get_account_summary', { currency: 'BTC' }, 1)
    const fee = buy.trades[0]?.fee as number
    expect(summary.balance).toBeCloseTo(10 - 0.3 * ask - fee, 8)
    expect(summary.options_value).toBeGreaterThan(0)
  })

  it('settles linear USDC instruments in USDC', () => {
    const h = harness()
    const buy = h.call<OrderResult>(
      'private/buy',
      { instrument_name: 'BTC_USDC-PERPETUAL', amount: 0.01, type: 'market' },
      1,
    )
    expect(buy.order.order_id).toMatch(/^USDC-\d+$/)
    expect(buy.trades[0]).toMatchObject({ fee_currency: 'USDC' })
    expect(h.call<unknown[]>('private/get_positions', { currency: 'USDC' }, 1)).toHaveLength(1)
    expect(h.call<unknown[]>('private/get_positions', { currency: 'BTC' }, 1)).toHaveLength(0)
  })
})

/** The first BTC option the exchange lists (names follow the simulated calendar). */
function firstOption(h: Harness): string {
  const options = h.call<{ instrument_name: string }[]>('public/get_instruments', { currency: 'BTC', kind: 'option' })
  return options[0]?.instrument_name as string
}

describe('reference and market data', () => {
  it('lists currencies and instruments with Deribit fields', () => {
    const h = harness()
    const currencies = h.call<Record<string, unknown>[]>('public/get_currencies')
    expect(currencies.map((c) => c.currency)).toEqual(['BTC', 'ETH', 'USDC'])
    expect(currencies[0]).toMatchObject({
      coin_type: 'BITCOIN',
      currency_long: 'Bitcoin',
      withdrawal_priorities: expect.any(Array),
    })
    const btc = h.call<Record<string, unknown>[]>('public/get_instruments', { currency: 'BTC' })
    expect(btc[0]?.instrument_name).toBe('BTC-PERPETUAL')
    expect(new Set(btc.map((i) => i.kind))).toEqual(new Set(['future', 'option']))
    expect(btc.every((i) => i.settlement_currency === 'BTC' && i.is_active === true)).toBe(true)
    expect(btc[0]).toMatchObject({
      tick_size: 0.5,
      contract_size: 10,
      min_trade_amount: 10,
      kind: 'future',
      settlement_period: 'perpetual',
    })
    const options = h.call<Record<string, unknown>[]>('public/get_instruments', { currency: 'BTC', kind: 'option' })
    expect(options.length).toBe(btc.filter((i) => i.kind === 'option').length)
    expect(new Set(options.map((o) => o.option_type))).toEqual(new Set(['call', 'put']))
    const expired = h.call<Record<string, unknown>[]>('public/get_instruments', { currency: 'BTC', expired: true })
    expect(expired.length).toBeGreaterThan(0)
    expect(expired.every((i) => i.is_active === false && (i.expiration_timestamp as number) <= h.clock.now)).toBe(true)
    const usdc = h.call<Record<string, unknown>[]>('public/get_instruments', { currency: 'USDC' })
    expect(usdc[0]).toMatchObject({
      instrument_name: 'BTC_USDC-PERPETUAL',
      instrument_type: 'linear',
      settlement_currency: 'USDC',
    })
    expect(h.call<Record<string, unknown>[]>('public/get_instruments', { currency: 'ETH' })[0]).toMatchObject({
      tick_size: 0.05,
      contract_size: 1,
    })
    expect(h.exchange.instrument('ETH-PERPETUAL')).toEqual({
      instrument_name: 'ETH-PERPETUAL',
      kind: 'future',
      base_currency: 'ETH',
      settlement_currency: 'ETH',
    })
    expect(h.exchange.instrument('XRP-PERPETUAL')).toBeUndefined()
  })

  it('serves ticker, order book, index and book summaries', () => {
    const h = harness()
    h.exchange.market.tick(100)
    const ticker = h.call<Record<string, number>>('public/ticker', { instrument_name: BTC })
    expect(ticker.best_bid_price).toBeLessThan(ticker.best_ask_price as number)
    expect(ticker).toMatchObject({ instrument_name: BTC, state: 'open', stats: expect.any(Object) })
    const book = h.call<{ bids: unknown[]; asks: unknown[] }>('public/get_order_book', {
      instrument_name: BTC,
      depth: 5,
    })
    expect(book.bids).toHaveLength(5)
    expect(book.asks).toHaveLength(5)
    expect(
      h.call<{ index_price: number }>('public/get_index_price', { index_name: 'eth_usd' }).index_price,
    ).toBeGreaterThan(1000)
    expect(h.fail('public/get_index_price', { index_name: 'nope' })).toMatchObject({ code: -32602 })
    expect(h.fail('public/ticker', { instrument_name: 'NOPE' })).toMatchObject({ code: 10020 })
    expect(h.call<unknown[]>('public/get_book_summary_by_currency', { currency: 'BTC' })).toHaveLength(
      h.call<unknown[]>('public/get_instruments', { currency: 'BTC' }).length,
    )
    const option = h.call<Record<string, unknown>>('public/ticker', { instrument_name: firstOption(h) })
    expect(option).toMatchObject({ greeks: expect.any(Object), mark_iv: expect.any(Number) })
  })
})

describe('estimated liquidation price', () => {
  it('is below the entry for a long and above it for a short, a number either way', () => {
    const h = harness()
    h.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 1000, type: 'market' }, 1)
    h.call('private/sell', { instrument_name: 'BTC-PERPETUAL', amount: 1000, type: 'market' }, 2)
    const long = h.call<Record<string, number>>('private/get_position', { instrument_name: 'BTC-PERPETUAL' }, 1)
    const short = h.call<Record<string, number>>('private/get_position', { instrument_name: 'BTC-PERPETUAL' }, 2)
    expect(long.estimated_liquidation_price).toBeGreaterThan(0)
    expect(long.estimated_liquidation_price).toBeLessThan(long.average_price as number)
    expect(short.estimated_liquidation_price).toBeGreaterThan(short.average_price as number)
  })
})
