import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, type Harness, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
interface OrderResult {
  order: Json
  trades: Json[]
}
const BTC = 'BTC-PERPETUAL'

function state(h: Harness, id: unknown): Json {
  return h.call<Json>('private/get_order_state', { order_id: id }, 1)
}

/** Account 1 buys `amount` at a price inside the spread; account 2 then sells into it. */
function restingBuy(h: Harness, params: Json): { result: OrderResult; price: number } {
  const { bid } = h.top(BTC)
  const price = bid + 0.5
  const result = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 100, price, ...params }, 1)
  return { result, price }
}

describe('linked orders', () => {
  it('OTO: the secondary waits untriggered until the primary trades, then rests in the book', () => {
    const h = harness()
    const { ask } = h.top(BTC)
    const { result, price } = restingBuy(h, {
      linked_order_type: 'one_triggers_other',
      otoco_config: [{ type: 'limit', price: ask + 1000 }],
    })
    const ids = result.order.oto_order_ids as string[]
    expect(ids).toHaveLength(1)
    expect(result.order.trigger_fill_condition).toBe('first_hit')
    const secondary = state(h, ids[0])
    expect(secondary).toMatchObject({
      order_state: 'untriggered',
      direction: 'sell',
      amount: 100,
      primary_order_id: result.order.order_id,
      is_secondary_oto: true,
    })
    h.call('private/sell', { instrument_name: BTC, amount: 100, price }, 2)
    expect(state(h, result.order.order_id).order_state).toBe('filled')
    expect(state(h, ids[0])).toMatchObject({ order_state: 'open', price: ask + 1000 })
  })

  it('OTO: cancelling the primary before it trades cancels the waiting secondaries', () => {
    const h = harness()
    const { ask } = h.top(BTC)
    const { result } = restingBuy(h, {
      linked_order_type: 'one_triggers_other',
      otoco_config: [{ type: 'limit', price: ask + 1000 }],
    })
    h.call('private/cancel', { order_id: result.order.order_id }, 1)
    expect(state(h, (result.order.oto_order_ids as string[])[0]).order_state).toBe('cancelled')
    expect(h.exchange.openOrders(1)).toEqual([])
  })

  it('OTO with complete_fill waits for the whole primary; incremental places a share per fill', () => {
    const h = harness()
    const { ask } = h.top(BTC)
    const complete = restingBuy(h, {
      linked_order_type: 'one_triggers_other',
      trigger_fill_condition: 'complete_fill',
      otoco_config: [{ type: 'limit', price: ask + 1000 }],
    })
    h.call('private/sell', { instrument_name: BTC, amount: 50, price: complete.price }, 2)
    const waiting = (complete.result.order.oto_order_ids as string[])[0]
    expect(state(h, waiting).order_state).toBe('untriggered')
    h.call('private/sell', { instrument_name: BTC, amount: 50, price: complete.price }, 2)
    expect(state(h, waiting).order_state).toBe('open')

    const inc = restingBuy(h, {
      linked_order_type: 'one_triggers_other',
      trigger_fill_condition: 'incremental',
      otoco_config: [{ type: 'limit', price: ask + 1000 }],
    })
    const part = (inc.result.order.oto_order_ids as string[])[0]
    h.call('private/sell', { instrument_name: BTC, amount: 30, price: inc.price }, 2)
    expect(state(h, part)).toMatchObject({ order_state: 'open', amount: 30 })
    h.call('private/sell', { instrument_name: BTC, amount: 70, price: inc.price }, 2)
    expect(state(h, part)).toMatchObject({ order_state: 'open', amount: 100 })
  })

  it('OCO: both legs are live; when one trades the other is cancelled', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const { result, price } = restingBuy(h, {
      linked_order_type: 'one_cancels_other',
      otoco_config: [
        { direction: 'buy', type: 'stop_market', trigger: 'mark_price', trigger_price: Math.round(bid * 2) },
      ],
    })
    const ref = result.order.oco_ref
    expect(typeof ref).toBe('string')
    const other = h.exchange.openOrders(1).find((o) => o.order_id !== result.order.order_id)
    expect(other).toMatchObject({ order_state: 'untriggered', oco_ref: ref, primary_order_id: result.order.order_id })
    h.call('private/sell', { instrument_name: BTC, amount: 10, price }, 2)
    expect(state(h, other?.order_id)).toMatchObject({ order_state: 'cancelled' })
    expect(state(h, result.order.order_id)).toMatchObject({ order_state: 'open', filled_amount: 10 })
  })

  it('OTOCO: the primary places a take-profit / stop-loss pair; the take-profit filling cancels the stop', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const result = h.call<OrderResult>(
      'private/buy',
      {
        instrument_name: BTC,
        amount: 100,
        type: 'market',
        linked_order_type: 'one_triggers_one_cancels_other',
        otoco_config: [
          { type: 'limit', price: bid + 0.5, reduce_only: true },
          { type: 'stop_market', trigger: 'mark_price', trigger_price: Math.round(bid / 2), reduce_only: true },
        ],
      },
      1,
    )
    expect(result.order).toMatchObject({ order_state: 'filled', is_primary_otoco: true })
    const [tp, sl] = result.order.oto_order_ids as string[]
    expect(state(h, tp)).toMatchObject({ order_state: 'open' })
    expect(state(h, sl)).toMatchObject({ order_state: 'untriggered' })
    h.call('private/buy', { instrument_name: BTC, amount: 100, price: bid + 0.5 }, 2)
    expect(state(h, tp).order_state).toBe('filled')
    expect(state(h, sl).order_state).toBe('cancelled')
  })

  it('refuses nonsense: unknown link type or fill condition, a config without a link type, the wrong leg count', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const base = { instrument_name: BTC, amount: 10, price: bid - 100 }
    const leg = { type: 'limit', price: bid + 100 }
    expect(
      h.fail('private/buy', { ...base, linked_order_type: 'one_loves_other', otoco_config: [leg] }, 1),
    ).toMatchObject({ code: -32602, data: { param: 'linked_order_type' } })
    expect(
      h.fail(
        'private/buy',
        { ...base, linked_order_type: 'one_triggers_other', trigger_fill_condition: 'never', otoco_config: [leg] },
        1,
      ),
    ).toMatchObject({ code: -32602, data: { param: 'trigger_fill_condition' } })
    expect(h.fail('private/buy', { ...base, otoco_config: [leg] }, 1)).toMatchObject({
      data: { param: 'otoco_config' },
    })
    expect(h.fail('private/buy', { ...base, trigger_fill_condition: 'first_hit' }, 1)).toMatchObject({
      data: { param: 'trigger_fill_condition' },
    })
    expect(
      h.fail('private/buy', { ...base, linked_order_type: 'one_triggers_one_cancels_other', otoco_config: [leg] }, 1),
    ).toMatchObject({ data: { param: 'otoco_config' } })
    expect(
      h.fail('private/buy', { ...base, linked_order_type: 'one_triggers_other', otoco_config: [{ type: 'limit' }] }, 1),
    ).toMatchObject({ data: { param: 'price' } })
    expect(h.exchange.orderCount(1)).toBe(0)
  })
})
