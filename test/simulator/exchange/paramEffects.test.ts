/**
 * Params that only some forms of a call take are refused in the others, and paging and filtering
 * params change what comes back: what a bot sends is never silently dropped.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
type OrderResult = { order: Json; trades: Json[] }
const BTC = 'BTC-PERPETUAL'
const ETH = 'ETH-PERPETUAL'
const DAY = 86_400_000

describe('params of one order type given to another', () => {
  it('refuses a price on market orders and on a market close', () => {
    const h = harness()
    const { ask } = h.top(BTC)
    for (const type of ['market', 'market_limit'])
      expect(h.fail('private/buy', { instrument_name: BTC, amount: 10, type, price: ask }, 1)).toMatchObject({
        code: -32602,
        data: { param: 'price' },
      })
    expect(
      h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, type: 'market' }, 1).order,
    ).toMatchObject({ order_state: 'filled' })
    expect(h.fail('private/close_position', { instrument_name: BTC, type: 'market', price: ask }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'price' },
    })
  })

  it('refuses a trigger price on a trailing stop, and a price when editing a stop-market order', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const trailing = {
      instrument_name: BTC,
      amount: 10,
      type: 'trailing_stop',
      trigger: 'mark_price',
      trigger_offset: 100,
    }
    expect(h.fail('private/sell', { ...trailing, trigger_price: bid - 1000 }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'trigger_price' },
    })
    const stop = {
      instrument_name: BTC,
      amount: 10,
      type: 'stop_market',
      trigger: 'mark_price',
      trigger_price: bid + 5000,
    }
    const placed = h.call<OrderResult>('private/buy', stop, 1)
    expect(h.fail('private/edit', { order_id: placed.order.order_id, amount: 20, price: bid }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'price' },
    })
    expect(h.call<OrderResult>('private/edit', { order_id: placed.order.order_id, amount: 20 }, 1).order).toMatchObject(
      {
        amount: 20,
      },
    )
  })

  it('refuses a trigger price when editing a plain order, and honours valid_until on edit_by_label', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const price = bid - 500
    h.call('private/buy', { instrument_name: BTC, amount: 10, price, label: 'mine' }, 1)
    const id = (h.exchange.openOrders(1)[0] as { order_id: string }).order_id
    expect(h.fail('private/edit', { order_id: id, amount: 20, price, trigger_price: price }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'trigger_price' },
    })
    const late = { label: 'mine', instrument_name: BTC, amount: 20, price, valid_until: h.clock.now - 1 }
    expect(h.fail('private/edit_by_label', late, 1)).toMatchObject({ code: 13888 })
    expect(h.exchange.openOrders(1)).toEqual([expect.objectContaining({ amount: 10 })])
  })
})

describe('cancel_quotes', () => {
  const config = { mmp_group: 'g', interval: 60, frozen_time: 0, quantity_limit: 1000, max_quote_quantity: 1000 }

  it('refuses a param of another cancel_type, and narrows by the currency the spec makes every call send', () => {
    const h = harness()
    h.call('private/set_mmp_config', { ...config, index_name: 'btc_usd' }, 1)
    h.call('private/set_mmp_config', { ...config, index_name: 'eth_usd' }, 1)
    for (const name of [BTC, ETH]) {
      const { bid } = h.top(name)
      const q = { instrument_name: name, quote_set_id: 's', bid: { price: bid, amount: name === BTC ? 10 : 1 } }
      h.call('private/mass_quote', { quote_id: `q-${name}`, mmp_group: 'g', quotes: [q] }, 1)
    }
    expect(h.exchange.openOrders(1)).toHaveLength(2)
    expect(
      h.fail('private/cancel_quotes', { cancel_type: 'all', instrument_name: BTC, currency: 'BTC' }, 1),
    ).toMatchObject({ code: -32602, data: { param: 'instrument_name' } })
    expect(h.call('private/cancel_quotes', { cancel_type: 'all', currency: 'ETH' }, 1)).toBe(1)
    expect(h.exchange.openOrders(1)).toEqual([expect.objectContaining({ instrument_name: BTC })])
    expect(h.call('private/cancel_quotes', { cancel_type: 'all' }, 1)).toBe(1)
  })

  it('refuses block RFQ MMP, which is not simulated', () => {
    const h = harness()
    for (const method of ['private/get_mmp_config', 'private/get_mmp_status'])
      expect(h.fail(method, { block_rfq: true }, 1)).toMatchObject({ code: 13025, data: { name: 'block_rfq' } })
    expect(h.call('private/get_mmp_config', { block_rfq: false }, 1)).toEqual([])
  })
})

describe('order history paging', () => {
  function filled(h: ReturnType<typeof harness>, n: number): string[] {
    const ids: string[] = []
    for (let i = 0; i < n; i++) {
      ids.push(
        String(
          h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, type: 'market' }, 1).order.order_id,
        ),
      )
      h.clock.now += 1000
    }
    return ids
  }

  it('pages with a continuation token when asked, and refuses offset beside it', () => {
    const h = harness()
    const ids = filled(h, 3).reverse()
    const params = { instrument_name: BTC, count: 2, with_continuation: true }
    const first = h.call<{ orders: Json[]; continuation: string | null }>(
      'private/get_order_history_by_instrument',
      params,
      1,
    )
    expect(first.orders.map((o) => o.order_id)).toEqual(ids.slice(0, 2))
    expect(first.continuation).toEqual(expect.any(String))
    const next = h.call<{ orders: Json[]; continuation: string | null }>(
      'private/get_order_history_by_instrument',
      { ...params, continuation: first.continuation },
      1,
    )
    expect(next).toEqual({ orders: [expect.objectContaining({ order_id: ids[2] })], continuation: null })
    // Without with_continuation the answer stays the plain list the spec's schema describes.
    expect(h.call<Json[]>('private/get_order_history_by_instrument', { instrument_name: BTC }, 1)).toHaveLength(3)
    expect(
      h.fail('private/get_order_history_by_instrument', { ...params, continuation: first.continuation, offset: 1 }, 1),
    ).toMatchObject({ code: -32602, data: { param: 'offset' } })
  })

  it('leaves orders older than two days out unless include_old', () => {
    const h = harness()
    filled(h, 1)
    h.clock.now += 3 * DAY
    filled(h, 1)
    expect(h.call<Json[]>('private/get_order_history_by_currency', { currency: 'BTC' }, 1)).toHaveLength(1)
    expect(
      h.call<Json[]>('private/get_order_history_by_currency', { currency: 'BTC', include_old: true }, 1),
    ).toHaveLength(2)
  })
})
