import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, type Harness, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
const BTC = 'BTC-PERPETUAL'
const CONFIG = {
  index_name: 'btc_usd',
  mmp_group: 'g1',
  interval: 60,
  frozen_time: 0,
  quantity_limit: 20,
  max_quote_quantity: 1000,
}

function quote(h: Harness, quoteId: string, bid: Json | undefined, ask: Json | undefined, setId = 's1'): Json {
  const q: Json = { instrument_name: BTC, quote_set_id: setId }
  if (bid !== undefined) q.bid = bid
  if (ask !== undefined) q.ask = ask
  return h.call<Json>('private/mass_quote', { quote_id: quoteId, mmp_group: 'g1', detailed: true, quotes: [q] }, 1)
}

describe('MMP configuration', () => {
  it('stores, lists and removes a configuration', () => {
    const h = harness()
    expect(h.call('private/set_mmp_config', CONFIG, 1)).toEqual([expect.objectContaining(CONFIG)])
    expect(h.call('private/get_mmp_config', { index_name: 'btc_usd' }, 1)).toEqual([expect.objectContaining(CONFIG)])
    expect(h.call('private/get_mmp_config', {}, 2)).toEqual([])
    h.call('private/set_mmp_config', { ...CONFIG, interval: 0 }, 1)
    expect(h.call('private/get_mmp_config', {}, 1)).toEqual([])
    expect(h.fail('private/set_mmp_config', { ...CONFIG, index_name: 'doge_usd' }, 1)).toMatchObject({
      code: -32602,
      data: { param: 'index_name' },
    })
  })
})

describe('mass quotes and MMP', () => {
  it('places one order per side, amends it on the next quote, and reports band errors per side', () => {
    const h = harness()
    h.call('private/set_mmp_config', CONFIG, 1)
    const { bid, ask } = h.top(BTC)
    const first = quote(h, 'q1', { price: bid - 100, amount: 10 }, { price: ask + 100, amount: 10 })
    const orders = first.orders as Json[]
    expect(first.errors).toEqual([])
    expect(orders).toHaveLength(2)
    expect(orders[0]).toMatchObject({ quote: true, mmp: true, mmp_group: 'g1', quote_id: 'q1', quote_set_id: 's1' })
    const second = quote(h, 'q2', { price: bid - 50, amount: 20 }, undefined)
    expect((second.orders as Json[])[0]).toMatchObject({
      order_id: orders[0]?.order_id,
      price: bid - 50,
      amount: 20,
      quote_id: 'q2',
    })
    expect(h.exchange.openOrders(1)).toHaveLength(2)
    const m = h.call<Json>('private/get_margins', { instrument_name: BTC, amount: 10, price: bid }, 1)
    const tooHigh = quote(h, 'q3', { price: (m.max_price as number) + 1000, amount: 10 }, undefined)
    expect(tooHigh.errors).toEqual([
      expect.objectContaining({ side: 'bid', error: expect.objectContaining({ code: 10007 }) }),
    ])
  })

  it('trips when fills reach the quantity limit: cancels the quotes, notifies, freezes until reset', () => {
    const h = harness()
    h.call('private/set_mmp_config', CONFIG, 1)
    const { bid, ask } = h.top(BTC)
    const price = bid + 0.5
    quote(h, 'q1', { price, amount: 100 }, { price: ask + 100, amount: 100 })
    h.call('private/sell', { instrument_name: BTC, amount: 20, price }, 2)
    const open = h.exchange.openOrders(1)
    expect(open).toEqual([])
    const last = h.call<Json[]>(
      'private/get_order_history_by_instrument',
      { instrument_name: BTC, include_unfilled: true },
      1,
    )
    expect(last[0]).toMatchObject({ order_state: 'cancelled', cancel_reason: 'mmp_trigger', mmp_cancelled: true })
    const events = h.sink.user.filter((e) => e.family === 'account' && e.accountId === 1)
    expect(events).toEqual([
      expect.objectContaining({
        key: 'user.mmp_trigger.btc_usd',
        data: { index_name: 'btc_usd', frozen_until: 0, mmp_group: 'g1' },
      }),
    ])
    expect(h.call('private/get_mmp_status', {}, 1)).toEqual([
      { index_name: 'btc_usd', frozen_until: 0, mmp_group: 'g1' },
    ])
    const refused = quote(h, 'q2', { price: bid - 100, amount: 10 }, undefined)
    expect(refused.errors).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 10001 }) })])
    expect(h.call('private/reset_mmp', { index_name: 'btc_usd', mmp_group: 'g1' }, 1)).toBe('ok')
    expect(h.call('private/get_mmp_status', {}, 1)).toEqual([])
    expect(quote(h, 'q3', { price: bid - 100, amount: 10 }, undefined).errors).toEqual([])
  })

  it('cancel_quotes cancels by quote set, leaving other orders alone', () => {
    const h = harness()
    h.call('private/set_mmp_config', CONFIG, 1)
    const { bid, ask } = h.top(BTC)
    quote(h, 'q1', { price: bid - 100, amount: 10 }, undefined, 'a')
    quote(h, 'q2', undefined, { price: ask + 100, amount: 10 }, 'b')
    h.call('private/buy', { instrument_name: BTC, amount: 10, price: bid - 200 }, 1)
    expect(h.call('private/cancel_quotes', { cancel_type: 'quote_set_id', quote_set_id: 'a' }, 1)).toBe(1)
    expect(h.exchange.openOrders(1)).toHaveLength(2)
    expect(h.call('private/cancel_quotes', { cancel_type: 'all' }, 1)).toBe(1)
    expect(h.exchange.openOrders(1)).toEqual([expect.objectContaining({ price: bid - 200 })])
    expect(h.fail('private/cancel_quotes', { cancel_type: 'everything' }, 1)).toMatchObject({ code: -32602 })
  })

  it('needs a configured MMP group to quote', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const r = quote(h, 'q1', { price: bid - 100, amount: 10 }, undefined)
    expect(r.errors).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: -32602 }) })])
  })
})

describe('freeze_quotes', () => {
  it('a cancel with freeze_quotes refuses the next mass quote for a second', () => {
    const h = harness()
    h.call('private/set_mmp_config', CONFIG, 1)
    const { bid } = h.top(BTC)
    h.call('private/cancel_all', { freeze_quotes: true }, 1)
    expect(
      h.fail(
        'private/mass_quote',
        { quote_id: 'q', mmp_group: 'g1', quotes: [{ instrument_name: BTC, bid: { price: bid - 100, amount: 10 } }] },
        1,
      ),
    ).toMatchObject({ code: 10001 })
    h.clock.now += 1001
    expect(quote(h, 'q2', { price: bid - 100, amount: 10 }, undefined).errors).toEqual([])
  })
})
