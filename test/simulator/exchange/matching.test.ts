import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, harness } from './harness.js'

afterEach(closeAll)

interface OrderResult {
  order: Record<string, unknown>
  trades: Record<string, unknown>[]
}

const BTC = 'BTC-PERPETUAL'

describe('matching', () => {
  it('fills resting orders at one price oldest first, with partial fills', () => {
    const h = harness()
    const { bid, ask } = h.top(BTC)
    const mid = (bid + ask) / 2
    const first = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 100, price: mid }, 1)
    h.clock.now += 5
    const second = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 100, price: mid }, 2)
    expect(first.order.order_state).toBe('open')
    const sell = h.call<OrderResult>('private/sell', { instrument_name: BTC, amount: 150, price: mid }, 3)
    expect(sell.order.order_state).toBe('filled')
    expect(sell.trades.map((t) => [t.amount, t.price, t.liquidity])).toEqual([
      [100, mid, 'T'],
      [50, mid, 'T'],
    ])
    const a = h.call<Record<string, unknown>>('private/get_order_state', { order_id: first.order.order_id }, 1)
    const b = h.call<Record<string, unknown>>('private/get_order_state', { order_id: second.order.order_id }, 2)
    expect([a.order_state, a.filled_amount, a.average_price]).toEqual(['filled', 100, mid])
    expect([b.order_state, b.filled_amount]).toEqual(['open', 50])
    const makerTrades = h.sink.userEvents(2, 'trades') as Record<string, unknown>[][]
    expect(makerTrades.at(-1)?.[0]).toMatchObject({
      liquidity: 'M',
      amount: 50,
      order_id: second.order.order_id,
      direction: 'buy',
    })
  })

  it('sweeps better prices first and reports public trades', () => {
    const h = harness()
    const book = h.call<{ asks: [number, number][] }>('public/get_order_book', { instrument_name: BTC, depth: 3 })
    const [l1, l2] = book.asks as [[number, number], [number, number]]
    h.sink.clear()
    const buy = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: l1[1] + 10, price: l2[0] }, 1)
    expect(buy.trades.map((t) => t.price)).toEqual([l1[0], l2[0]])
    expect(buy.order.average_price).toBeGreaterThan(l1[0])
    const published = h.sink.on(`trades.${BTC}`) as Record<string, unknown>[][]
    expect(published).toHaveLength(1)
    expect(published[0]?.map((t) => t.direction)).toEqual(['buy', 'buy'])
  })

  it('cancels the unfilled rest of IOC and market orders', () => {
    const h = harness()
    const { ask } = h.top(BTC)
    const book = h.call<{ best_ask_amount: number }>('public/get_order_book', { instrument_name: BTC })
    const ioc = h.call<OrderResult>(
      'private/buy',
      { instrument_name: BTC, amount: book.best_ask_amount + 1000, price: ask, time_in_force: 'immediate_or_cancel' },
      1,
    )
    expect(ioc.order.order_state).toBe('cancelled')
    expect(ioc.order.filled_amount).toBe(book.best_ask_amount)
    const market = h.call<OrderResult>('private/sell', { instrument_name: BTC, amount: 20, type: 'market' }, 1)
    expect(market.order.order_state).toBe('filled')
    expect(market.order.order_type).toBe('market')
    expect(h.exchange.openOrders(1)).toHaveLength(0)
  })

  it('kills a fill-or-kill order that cannot fill completely, and fills one that can', () => {
    const h = harness()
    const { ask } = h.top(BTC)
    const before = h.call<{ asks: [number, number][] }>('public/get_order_book', { instrument_name: BTC, depth: 50 })
    const fok = h.call<OrderResult>(
      'private/buy',
      { instrument_name: BTC, amount: 10_000_000, price: ask, time_in_force: 'fill_or_kill' },
      1,
    )
    expect(fok.order.order_state).toBe('cancelled')
    expect(fok.order.filled_amount).toBe(0)
    expect(fok.trades).toEqual([])
    expect(
      h.call<{ asks: [number, number][] }>('public/get_order_book', { instrument_name: BTC, depth: 50 }).asks,
    ).toEqual(before.asks)
    const ok = h.call<OrderResult>(
      'private/buy',
      { instrument_name: BTC, amount: 10, price: ask, time_in_force: 'fill_or_kill' },
      1,
    )
    expect(ok.order.order_state).toBe('filled')
  })

  it('moves a crossing post-only order inside the spread, or rejects it with reject_post_only', () => {
    const h = harness()
    const { ask } = h.top(BTC)
    const moved = h.call<OrderResult>(
      'private/buy',
      { instrument_name: BTC, amount: 10, price: ask + 50, post_only: true },
      1,
    )
    expect(moved.order).toMatchObject({ order_state: 'open', price: ask - 0.5, post_only: true })
    expect(moved.trades).toEqual([])
    const err = h.fail(
      'private/buy',
      { instrument_name: BTC, amount: 10, price: ask, post_only: true, reject_post_only: true },
      1,
    )
    expect(err).toMatchObject({ code: 11054, message: 'post_only_reject' })
    expect(h.exchange.orderCount(1)).toBe(1)
  })

  it('fills a resting user order when market flow reaches it', () => {
    const h = harness()
    const { bid, ask } = h.top(BTC)
    const placed = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, price: (bid + ask) / 2 }, 1)
    let state = placed.order.order_state
    for (let i = 0; i < 2000 && state === 'open'; i++) {
      h.exchange.market.tick()
      state = h.call<Record<string, unknown>>(
        'private/get_order_state',
        { order_id: placed.order.order_id },
        1,
      ).order_state
    }
    expect(state).toBe('filled')
    const orders = h.sink.userEvents(1, 'orders') as Record<string, unknown>[]
    expect(orders.at(-1)).toMatchObject({ order_id: placed.order.order_id, order_state: 'filled' })
    expect(h.sink.userEvents(1, 'portfolio').length).toBeGreaterThan(0)
  })

  it('fires a stop order when its trigger price is reached', () => {
    const h = harness()
    const index = h.call<{ index_price: number }>('public/get_index_price', { index_name: 'btc_usd' }).index_price
    const trigger = Math.floor(index) - 10
    const stop = h.call<OrderResult>(
      'private/buy',
      { instrument_name: BTC, amount: 10, type: 'stop_market', trigger_price: trigger, trigger: 'index_price' },
      1,
    )
    expect(stop.order).toMatchObject({ order_state: 'untriggered', price: 'market_price', triggered: false })
    expect(String(stop.order.order_id)).toMatch(/^BTC-SLIS-\d+$/)
    h.exchange.market.tick()
    const after = h.call<Record<string, unknown>>('private/get_order_state', { order_id: stop.order.order_id }, 1)
    expect(after).toMatchObject({ triggered: true, order_state: 'filled', filled_amount: 10 })
  })
})
