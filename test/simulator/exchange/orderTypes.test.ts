import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, type Harness, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
interface OrderResult {
  order: Json
  trades: Json[]
}
const BTC = 'BTC-PERPETUAL'

function state(h: Harness, id: unknown, account = 1): Json {
  return h.call<Json>('private/get_order_state', { order_id: id }, account)
}

/** Account 3 trades at the best price on one side, which becomes the last price. */
function tradeAt(h: Harness, side: 'bid' | 'ask'): number {
  const { bid, ask } = h.top(BTC)
  const price = side === 'ask' ? ask : bid
  h.call(side === 'ask' ? 'private/buy' : 'private/sell', { instrument_name: BTC, amount: 10, price }, 3)
  return price
}

describe('valid_until, price bands and market_limit', () => {
  it('refuses a request whose valid_until has passed with 13888 timed_out, and accepts one still valid', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const order = { instrument_name: BTC, amount: 10, price: bid - 100 }
    expect(h.fail('private/buy', { ...order, valid_until: h.clock.now - 1 }, 1)).toMatchObject({
      code: 13888,
      message: 'timed_out',
    })
    expect(h.exchange.orderCount(1)).toBe(0)
    const ok = h.call<OrderResult>('private/buy', { ...order, valid_until: h.clock.now + 1000 }, 1)
    expect(ok.order.order_state).toBe('open')
    expect(
      h.fail('private/edit', { order_id: ok.order.order_id, amount: 20, valid_until: h.clock.now - 1 }, 1),
    ).toMatchObject({ code: 13888 })
  })

  it('clamps a buy above max_price to max_price and a sell below min_price to min_price', () => {
    const h = harness()
    const m = h.call<Json>('private/get_margins', { instrument_name: BTC, amount: 10, price: 1000 }, 1)
    const max = m.max_price as number
    const min = m.min_price as number
    const buy = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, price: max * 2 }, 1)
    expect(buy.order.price as number).toBeLessThanOrEqual(max)
    const sell = h.call<OrderResult>('private/sell', { instrument_name: BTC, amount: 10, price: 1 }, 2)
    expect(sell.order.price as number).toBeGreaterThanOrEqual(min)
  })

  it('market_limit takes the best opposite price and rests the rest there as a limit order', () => {
    const h = harness()
    const { ask } = h.top(BTC)
    const book = h.call<{ asks: [number, number][] }>('public/get_order_book', { instrument_name: BTC })
    const atBest = book.asks[0]?.[1] as number
    const r = h.call<OrderResult>(
      'private/buy',
      { instrument_name: BTC, amount: atBest + 1000, type: 'market_limit' },
      1,
    )
    expect(r.order).toMatchObject({
      order_type: 'limit',
      original_order_type: 'market_limit',
      price: ask,
      order_state: 'open',
      filled_amount: atBest,
    })
  })
})

describe('trigger orders', () => {
  it('a stop-market sell fires when the last price falls to its trigger', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const stop = h.call<OrderResult>(
      'private/sell',
      { instrument_name: BTC, amount: 10, type: 'stop_market', trigger: 'last_price', trigger_price: bid },
      1,
    )
    expect(stop.order).toMatchObject({ order_state: 'untriggered', price: 'market_price' })
    tradeAt(h, 'bid')
    expect(state(h, stop.order.order_id)).toMatchObject({ triggered: true, order_state: 'filled' })
  })

  it('a take-profit sell fires when the price rises to its trigger; a take-limit rests at its price', () => {
    const h = harness()
    const { ask } = h.top(BTC)
    const take = h.call<OrderResult>(
      'private/sell',
      { instrument_name: BTC, amount: 10, type: 'take_market', trigger: 'last_price', trigger_price: ask },
      1,
    )
    const takeLimit = h.call<OrderResult>(
      'private/sell',
      {
        instrument_name: BTC,
        amount: 10,
        type: 'take_limit',
        trigger: 'last_price',
        trigger_price: ask,
        price: ask + 5000,
      },
      1,
    )
    tradeAt(h, 'bid')
    expect(state(h, take.order.order_id).order_state).toBe('untriggered')
    tradeAt(h, 'ask')
    expect(state(h, take.order.order_id)).toMatchObject({ triggered: true, order_state: 'filled' })
    expect(state(h, takeLimit.order.order_id)).toMatchObject({
      triggered: true,
      order_state: 'open',
      price: ask + 5000,
    })
  })

  it('a trailing stop follows the peak by its offset and fires when the price falls back that far', () => {
    const h = harness()
    const { bid, ask } = h.top(BTC)
    tradeAt(h, 'bid')
    const offset = 0.5
    const trailing = h.call<OrderResult>(
      'private/sell',
      { instrument_name: BTC, amount: 10, type: 'trailing_stop', trigger: 'last_price', trigger_offset: offset },
      1,
    )
    expect(trailing.order).toMatchObject({
      order_state: 'untriggered',
      trigger_offset: offset,
      trigger_price: bid - offset,
    })
    tradeAt(h, 'ask')
    expect(state(h, trailing.order.order_id)).toMatchObject({ trigger_price: ask - offset, order_state: 'untriggered' })
    tradeAt(h, 'bid')
    expect(state(h, trailing.order.order_id)).toMatchObject({ triggered: true, order_state: 'filled' })
    expect(
      h.fail('private/sell', { instrument_name: BTC, amount: 10, type: 'trailing_stop', trigger: 'last_price' }, 1),
    ).toMatchObject({ code: -32602, data: { param: 'trigger_offset' } })
  })

  it('refuses trigger params on non-trigger orders and unknown trigger sources', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const limit = { instrument_name: BTC, amount: 10, price: bid - 100 }
    expect(h.fail('private/buy', { ...limit, trigger: 'mark_price' }, 1)).toMatchObject({ data: { param: 'trigger' } })
    expect(h.fail('private/buy', { ...limit, trigger_offset: 5 }, 1)).toMatchObject({
      data: { param: 'trigger_offset' },
    })
    expect(
      h.fail('private/buy', { ...limit, type: 'stop_limit', trigger_price: bid, trigger: 'best_price' }, 1),
    ).toMatchObject({ code: -32602, data: { param: 'trigger' } })
    expect(h.fail('private/buy', { ...limit, advanced: 'usd' }, 1)).toMatchObject({ data: { param: 'advanced' } })
    expect(h.fail('private/buy', { ...limit, advanced: 'fast' }, 1)).toMatchObject({ data: { param: 'advanced' } })
  })
})

describe('iceberg orders', () => {
  it('shows only display_amount in the book and refreshes it as the order trades', () => {
    const h = harness()
    const { bid, ask } = h.top(BTC)
    // Inside the spread, so the sells below trade with the iceberg first.
    const price = bid + 0.5
    expect(price).toBeLessThan(ask)
    const ice = h.call<OrderResult>(
      'private/buy',
      { instrument_name: BTC, amount: 5000, price, display_amount: 1000 },
      1,
    )
    expect(ice.order).toMatchObject({ display_amount: 1000, max_show: 1000, amount: 5000 })
    const level = () =>
      h
        .call<{ bids: [number, number][] }>('public/get_order_book', { instrument_name: BTC, depth: 1000 })
        .bids.find(([p]) => p === price)?.[1]
    expect(level()).toBe(1000)
    h.call('private/sell', { instrument_name: BTC, amount: 1500, price }, 2)
    expect(state(h, ice.order.order_id).filled_amount).toBe(1500)
    expect(level()).toBe(1000)
    h.call('private/sell', { instrument_name: BTC, amount: 3000, price }, 2)
    expect(level()).toBe(500)
    expect(h.fail('private/buy', { instrument_name: BTC, amount: 5000, price, display_amount: 50 }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'display_amount' },
    })
  })
})

describe('edit', () => {
  it('moves a trailing stop by a new trigger_offset, and refuses edit params the order does not take', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    tradeAt(h, 'bid')
    const trailing = h.call<OrderResult>(
      'private/sell',
      { instrument_name: BTC, amount: 10, type: 'trailing_stop', trigger: 'last_price', trigger_offset: 100 },
      1,
    )
    const edited = h.call<OrderResult>(
      'private/edit',
      { order_id: trailing.order.order_id, amount: 10, trigger_offset: 200 },
      1,
    )
    expect(edited.order).toMatchObject({ trigger_offset: 200, trigger_price: bid - 200 })
    const limit = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, price: bid - 100 }, 1)
    expect(h.fail('private/edit', { order_id: limit.order.order_id, amount: 10, trigger_offset: 5 }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'trigger_offset' },
    })
    expect(
      h.call<OrderResult>('private/edit', { order_id: limit.order.order_id, amount: 10, mmp: true }, 1).order.mmp,
    ).toBe(true)
  })
})
