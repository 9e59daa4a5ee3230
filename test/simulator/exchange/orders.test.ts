import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, type Harness, harness } from './harness.js'

afterEach(closeAll)

interface OrderResult {
  order: Record<string, unknown>
  trades: Record<string, unknown>[]
}

const BTC = 'BTC-PERPETUAL'
const ETH = 'ETH-PERPETUAL'

/** A resting buy far below the market. */
function rest(h: Harness, accountId: number, params: Record<string, unknown> = {}, connectionId?: number): OrderResult {
  const { bid } = h.top(BTC)
  return h.call<OrderResult>(
    'private/buy',
    { instrument_name: BTC, amount: 10, price: bid - 100, ...params },
    accountId,
    connectionId,
  )
}

describe('order entry', () => {
  it('returns an order object with every field of the protocol example and string ids', () => {
    const h = harness()
    const { order } = rest(h, 1, { label: 'mine' })
    for (const field of [
      'web',
      'time_in_force',
      'replaced',
      'reduce_only',
      'price',
      'post_only',
      'order_type',
      'order_state',
      'order_id',
      'max_show',
      'last_update_timestamp',
      'label',
      'is_rebalance',
      'is_liquidation',
      'instrument_name',
      'filled_amount',
      'direction',
      'creation_timestamp',
      'average_price',
      'api',
      'amount',
    ]) {
      expect(order, field).toHaveProperty(field)
    }
    expect(order).toMatchObject({
      time_in_force: 'good_til_cancelled',
      order_type: 'limit',
      label: 'mine',
      direction: 'buy',
      contracts: 1,
    })
    expect(typeof order.order_id).toBe('string')
    const eth = h.call<OrderResult>('private/sell', { instrument_name: ETH, contracts: 3, price: 100_000 }, 1)
    expect(eth.order.order_id).toMatch(/^ETH-\d+$/)
    expect(eth.order.amount).toBe(3)
  })

  it('answers bad orders with Deribit error codes', () => {
    const h = harness()
    expect(h.fail('private/buy', { instrument_name: 'BTC-1JAN20', amount: 10, price: 100 }, 1)).toMatchObject({
      code: 10020,
    })
    expect(h.fail('private/buy', { instrument_name: BTC, amount: 10, price: 100.3 }, 1)).toMatchObject({
      code: 10043,
      message: 'price_wrong_tick',
    })
    expect(h.fail('private/buy', { instrument_name: BTC, amount: 15, price: 100 }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'amount' },
    })
    expect(h.fail('private/buy', { instrument_name: BTC, amount: 10 }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'price' },
    })
    expect(h.fail('private/buy', { instrument_name: BTC, price: 100 }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'amount' },
    })
    expect(h.fail('private/buy', { instrument_name: BTC, amount: 20, contracts: 1, price: 100 }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'contracts' },
    })
    expect(
      h.fail('private/buy', { instrument_name: BTC, amount: 10, price: 100, label: 'x'.repeat(65) }, 1),
    ).toMatchObject({
      code: -32602,
      data: { param: 'label', reason: expect.any(String) },
    })
    expect(
      h.fail('private/buy', { instrument_name: BTC, amount: 10, price: 100, time_in_force: 'gtc' }, 1),
    ).toMatchObject({
      code: -32602,
      data: { param: 'time_in_force' },
    })
    expect(
      h.fail(
        'private/buy',
        { instrument_name: BTC, amount: 10, type: 'stop_limit', price: 100, trigger_price: 100 },
        1,
      ),
    ).toMatchObject({
      code: -32602,
      data: { param: 'trigger' },
    })
    expect(h.fail('private/buy', { instrument_name: BTC, amount: 1_000_000_000, price: 50_000 }, 1)).toMatchObject({
      code: 10009,
      message: 'not_enough_funds',
    })
    expect(
      h.fail('private/sell', { instrument_name: BTC, amount: 10, price: 100_000, reduce_only: true }, 1),
    ).toMatchObject({ code: -32602 })
    expect(h.exchange.orderCount(1)).toBe(0)
  })

  it('accepts a label of exactly 64 characters and numbers given as strings', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const { order } = h.call<OrderResult>(
      'private/buy',
      { instrument_name: BTC, amount: '20', price: String(bid - 10), label: 'x'.repeat(64) },
      1,
    )
    expect(order).toMatchObject({ amount: 20, price: bid - 10, order_state: 'open' })
  })

  it('edits an order: new price and amount, replaced:true, and 11044 once it is no longer open', () => {
    const h = harness()
    const { order } = rest(h, 1)
    const { bid } = h.top(BTC)
    const edited = h.call<OrderResult>('private/edit', { order_id: order.order_id, amount: 30, price: bid - 50 }, 1)
    expect(edited.order).toMatchObject({
      order_id: order.order_id,
      amount: 30,
      price: bid - 50,
      replaced: true,
      order_state: 'open',
    })
    const { ask } = h.top(BTC)
    const crossing = h.call<OrderResult>('private/edit', { order_id: order.order_id, amount: 30, price: ask }, 1)
    expect(crossing.order.order_state).toBe('filled')
    expect(crossing.trades.length).toBeGreaterThan(0)
    expect(h.fail('private/edit', { order_id: order.order_id, amount: 30, price: bid - 60 }, 1)).toMatchObject({
      code: 11044,
      message: 'not_open_order',
    })
    expect(h.fail('private/cancel', { order_id: order.order_id }, 1)).toMatchObject({ code: 11044 })
  })

  it('keeps time priority when an edit only reduces the amount', () => {
    const h = harness()
    const { bid, ask } = h.top(BTC)
    const mid = (bid + ask) / 2
    const first = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 50, price: mid }, 1)
    h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 50, price: mid }, 2)
    h.call('private/edit', { order_id: first.order.order_id, amount: 20 }, 1)
    const sell = h.call<OrderResult>('private/sell', { instrument_name: BTC, amount: 20, price: mid }, 3)
    expect(sell.trades).toHaveLength(1)
    expect(
      h.call<Record<string, unknown>>('private/get_order_state', { order_id: first.order.order_id }, 1).order_state,
    ).toBe('filled')
  })

  it('cancels, refusing unknown ids (10004) and other accounts orders (10029)', () => {
    const h = harness()
    const { order } = rest(h, 1)
    expect(h.fail('private/cancel', { order_id: order.order_id }, 2)).toMatchObject({
      code: 10029,
      message: 'not_owner_of_order',
    })
    expect(h.fail('private/get_order_state', { order_id: order.order_id }, 2)).toMatchObject({ code: 10029 })
    expect(h.fail('private/cancel', { order_id: 'BTC-999999' }, 1)).toMatchObject({
      code: 10004,
      message: 'order_not_found',
    })
    expect(h.fail('private/get_order_state', { order_id: '424242' }, 1)).toMatchObject({ code: 10004 })
    const cancelled = h.call<Record<string, unknown>>('private/cancel', { order_id: order.order_id }, 1)
    expect(cancelled).toMatchObject({ order_state: 'cancelled', cancel_reason: 'user_request' })
    expect(h.exchange.openOrders(1)).toHaveLength(0)
  })

  it('cancels in bulk: all, by currency, by instrument, by label, with counts or detailed reports', () => {
    const h = harness()
    rest(h, 1, { label: 'a' })
    rest(h, 1, { label: 'a' })
    rest(h, 1, { label: 'b' })
    h.call('private/sell', { instrument_name: ETH, amount: 1, price: 100_000, label: 'a' }, 1)
    h.call('private/sell', { instrument_name: 'BTC_USDC-PERPETUAL', amount: 0.01, price: 200_000 }, 1)
    expect(h.call('private/cancel_by_label', { label: 'a', currency: 'BTC' }, 1)).toBe(2)
    expect(h.call('private/cancel_all_by_instrument', { instrument_name: ETH }, 1)).toBe(1)
    expect(h.call('private/cancel_all_by_currency', { currency: 'USDC' }, 1)).toBe(1)
    expect(h.exchange.openOrders(1).map((o) => o.label)).toEqual(['b'])
    rest(h, 1)
    const detailed = h.call<{ currency: string; type: string; result: Record<string, unknown>[] }[]>(
      'private/cancel_all',
      { detailed: true },
      1,
    )
    expect(detailed).toHaveLength(1)
    expect(detailed[0]).toMatchObject({ currency: 'BTC', type: 'limit' })
    expect(detailed[0]?.result.map((o) => o.order_state)).toEqual(['cancelled', 'cancelled'])
    expect(h.call('private/cancel_all', {}, 1)).toBe(0)
  })

  it('lists open orders by currency and instrument, and finds orders by label', () => {
    const h = harness()
    const a = rest(h, 1, { label: 'find-me' })
    rest(h, 1)
    h.call('private/sell', { instrument_name: ETH, amount: 1, price: 100_000, label: 'find-me' }, 1)
    expect(h.call<unknown[]>('private/get_open_orders_by_currency', { currency: 'BTC' }, 1)).toHaveLength(2)
    expect(h.call<unknown[]>('private/get_open_orders_by_currency', { currency: 'any' }, 1)).toHaveLength(3)
    expect(h.call<unknown[]>('private/get_open_orders_by_instrument', { instrument_name: ETH }, 1)).toHaveLength(1)
    h.call('private/cancel', { order_id: a.order.order_id }, 1)
    const byLabel = h.call<Record<string, unknown>[]>(
      'private/get_order_state_by_label',
      { currency: 'BTC', label: 'find-me' },
      1,
    )
    expect(byLabel.map((o) => [o.order_id, o.order_state])).toEqual([[a.order.order_id, 'cancelled']])
    expect(h.exchange.orderCount(1, 'find-me')).toBe(2)
    expect(h.call<unknown[]>('private/get_order_state_by_label', { currency: 'BTC', label: 'find-me' }, 2)).toEqual([])
  })

  it('publishes every change of an order with a strictly increasing last_update_timestamp', () => {
    const h = harness()
    const { bid, ask } = h.top(BTC)
    const mid = (bid + ask) / 2
    const { order } = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 100, price: mid }, 1)
    // Everything below happens within the same millisecond.
    h.call('private/edit', { order_id: order.order_id, amount: 90, price: mid }, 1)
    h.call('private/sell', { instrument_name: BTC, amount: 30, price: mid }, 2)
    h.call('private/sell', { instrument_name: BTC, amount: 20, price: mid }, 3)
    h.call('private/cancel', { order_id: order.order_id }, 1)
    const events = (h.sink.userEvents(1, 'orders') as Record<string, unknown>[]).filter(
      (o) => o.order_id === order.order_id,
    )
    expect(events.map((o) => [o.order_state, o.filled_amount])).toEqual([
      ['open', 0],
      ['open', 0],
      ['open', 30],
      ['open', 50],
      ['cancelled', 50],
    ])
    const stamps = events.map((o) => o.last_update_timestamp as number)
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1] as number)
    const changes = h.sink.userEvents(1, 'changes') as {
      instrument_name: string
      orders: unknown[]
      positions: unknown[]
      trades: unknown[]
    }[]
    expect(changes.at(-2)).toMatchObject({
      instrument_name: BTC,
      orders: [expect.any(Object)],
      trades: [expect.objectContaining({ amount: 20 })],
    })
  })

  it('cancels the orders of a connection on disconnect, only those', () => {
    const h = harness()
    rest(h, 1, {}, 7)
    rest(h, 2, {}, 7)
    rest(h, 1, {}, 8)
    h.call(
      'private/buy',
      {
        instrument_name: BTC,
        amount: 10,
        type: 'stop_limit',
        price: 100,
        trigger_price: 100_000,
        trigger: 'mark_price',
      },
      1,
      7,
    )
    expect(h.exchange.cancelOrdersOfConnection(7)).toBe(3)
    expect(h.exchange.openOrders(1)).toHaveLength(1)
    expect(h.exchange.openOrders(2)).toHaveLength(0)
    const last = (h.sink.userEvents(2, 'orders') as Record<string, unknown>[]).at(-1)
    expect(last).toMatchObject({ order_state: 'cancelled', cancel_reason: 'cancel_on_disconnect' })
    expect(h.exchange.cancelOrdersOfConnection(7)).toBe(0)
  })

  it('edits by label, cancels by kind or type, closes positions and lists user trades', () => {
    const h = harness()
    const { order } = rest(h, 1, { label: 'quote-1' })
    const { bid } = h.top(BTC)
    const edited = h.call<OrderResult>(
      'private/edit_by_label',
      { label: 'quote-1', instrument_name: BTC, amount: 40, price: bid - 30 },
      1,
    )
    expect(edited.order).toMatchObject({ order_id: order.order_id, amount: 40, replaced: true })
    expect(h.fail('private/edit_by_label', { label: 'nope', instrument_name: BTC, amount: 10 }, 1)).toMatchObject({
      code: 10004,
    })
    h.call(
      'private/buy',
      { instrument_name: BTC, amount: 10, type: 'stop_market', trigger_price: 1_000_000, trigger: 'last_price' },
      1,
    )
    expect(
      h.call('private/cancel_all_by_kind_or_type', { currency: ['BTC'], kind: 'future', type: 'trigger_all' }, 1),
    ).toBe(1)
    expect(h.exchange.openOrders(1).map((o) => o.order_id)).toEqual([order.order_id])
    h.call('private/buy', { instrument_name: ETH, amount: 7, type: 'market' }, 1)
    const closed = h.call<OrderResult>('private/close_position', { instrument_name: ETH, type: 'market' }, 1)
    expect(closed.order).toMatchObject({ direction: 'sell', amount: 7, reduce_only: true, order_state: 'filled' })
    expect(h.call<Record<string, unknown>>('private/get_position', { instrument_name: ETH }, 1).size).toBe(0)
    expect(h.fail('private/close_position', { instrument_name: ETH, type: 'market' }, 1)).toMatchObject({
      code: -32602,
    })
    const page = h.call<{ trades: Record<string, unknown>[]; has_more: boolean }>(
      'private/get_user_trades_by_instrument',
      { instrument_name: ETH, count: 100 },
      1,
    )
    expect(page.has_more).toBe(false)
    expect(page.trades.length).toBeGreaterThanOrEqual(2)
    expect(page.trades[0]?.direction).toBe('sell')
    expect(h.call<{ trades: unknown[] }>('private/get_user_trades_by_currency', { currency: 'ETH' }, 2).trades).toEqual(
      [],
    )
  })
})
