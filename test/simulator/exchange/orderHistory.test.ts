import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
interface OrderResult {
  order: Json
  trades: Json[]
}
const BTC = 'BTC-PERPETUAL'

describe('order and trade history', () => {
  it('lists closed orders newest first; unfilled cancelled ones only with include_unfilled', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const filled = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, type: 'market' }, 1)
    const resting = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, price: bid - 500 }, 1)
    h.call('private/buy', { instrument_name: BTC, amount: 10, price: bid - 600, label: 'keep' }, 1)
    h.call('private/cancel', { order_id: resting.order.order_id }, 1)
    const history = h.call<Json[]>('private/get_order_history_by_instrument', { instrument_name: BTC }, 1)
    expect(history.map((o) => o.order_id)).toEqual([filled.order.order_id])
    const all = h.call<Json[]>('private/get_order_history_by_currency', { currency: 'BTC', include_unfilled: true }, 1)
    expect(all.map((o) => o.order_id)).toEqual([resting.order.order_id, filled.order.order_id])
    expect(h.call<Json[]>('private/get_order_history_by_currency', { currency: 'ETH' }, 1)).toEqual([])
    expect(h.call<Json[]>('private/get_open_orders_by_label', { currency: 'BTC', label: 'keep' }, 1)).toHaveLength(1)
  })

  it('finds trades by order and by time window', () => {
    const h = harness()
    const t0 = h.clock.now
    const first = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, type: 'market' }, 1)
    h.clock.now += 10_000
    h.call('private/sell', { instrument_name: BTC, amount: 10, type: 'market' }, 1)
    const byOrder = h.call<Json[]>('private/get_user_trades_by_order', { order_id: first.order.order_id }, 1)
    expect(byOrder.length).toBeGreaterThan(0)
    expect(byOrder.every((t) => t.order_id === first.order.order_id)).toBe(true)
    const early = h.call<{ trades: Json[]; has_more: boolean }>(
      'private/get_user_trades_by_instrument_and_time',
      { instrument_name: BTC, start_timestamp: t0, end_timestamp: t0 + 1 },
      1,
    )
    expect(early.trades.every((t) => t.direction === 'buy')).toBe(true)
    const both = h.call<{ trades: Json[] }>(
      'private/get_user_trades_by_currency_and_time',
      { currency: 'BTC', start_timestamp: t0, end_timestamp: h.clock.now, sorting: 'asc' },
      1,
    )
    expect(both.trades[0]?.direction).toBe('buy')
    expect(both.trades.at(-1)?.direction).toBe('sell')
    expect(h.fail('private/get_user_trades_by_order', { order_id: first.order.order_id }, 2)).toMatchObject({
      code: 10004,
    })
  })

  it('reports margins: per order, and for a hypothetical order with the price band', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const order = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 1000, price: bid - 500 }, 1)
    const [margin] = h.call<Json[]>('private/get_order_margin_by_ids', { ids: [order.order.order_id] }, 1)
    expect(margin).toMatchObject({ order_id: order.order.order_id, initial_margin_currency: 'BTC' })
    expect(margin?.initial_margin as number).toBeCloseTo(1000 / (bid - 500) / 50, 8)
    const m = h.call<Json>('private/get_margins', { instrument_name: BTC, amount: 1000, price: bid }, 1)
    expect(m.buy as number).toBeCloseTo(1000 / bid / 50, 8)
    expect(m.min_price as number).toBeLessThan(bid)
    expect(m.max_price as number).toBeGreaterThan(bid)
    expect(h.fail('private/get_order_margin_by_ids', { ids: [order.order.order_id] }, 2)).toMatchObject({
      code: 10029,
    })
  })

  it('lists trigger orders in the trigger order history', () => {
    const h = harness()
    const { ask } = h.top(BTC)
    const stop = h.call<OrderResult>(
      'private/buy',
      { instrument_name: BTC, amount: 10, type: 'stop_market', trigger: 'mark_price', trigger_price: ask + 5000 },
      1,
    )
    const history = h.call<{ entries: Json[] }>('private/get_trigger_order_history', { currency: 'BTC' }, 1)
    expect(history.entries).toEqual([
      expect.objectContaining({ trigger_order_id: stop.order.order_id, order_state: 'untriggered' }),
    ])
  })

  it("records a delivered position in the account's settlement history and transaction log", () => {
    const h = harness()
    const start = h.clock.now
    expect(h.call('private/get_settlement_history_by_currency', { currency: 'BTC' }, 1)).toEqual({
      settlements: [],
      continuation: 'none',
    })
    const weekly = h
      .call<Json[]>('public/get_instruments', { currency: 'BTC', kind: 'future' })
      .filter((i) => i.settlement_period !== 'perpetual')
      .sort((a, b) => (a.expiration_timestamp as number) - (b.expiration_timestamp as number))[0] as Json
    const name = weekly.instrument_name as string
    h.call('private/buy', { instrument_name: name, amount: 100, type: 'market' }, 1)
    h.clock.now = (weekly.expiration_timestamp as number) + 5 * 60_000
    const history = h.call<{ settlements: Json[] }>(
      'private/get_settlement_history_by_instrument',
      {
        instrument_name: 'BTC-PERPETUAL',
      },
      1,
    )
    expect(history.settlements).toEqual([])
    const mine = h.call<{ settlements: Json[] }>('private/get_settlement_history_by_currency', { currency: 'BTC' }, 1)
    expect(mine.settlements).toEqual([
      expect.objectContaining({ type: 'delivery', instrument_name: name, position: 100 }),
    ])
    const log = h.call<{ logs: Json[] }>(
      'private/get_transaction_log',
      { currency: 'BTC', start_timestamp: start, end_timestamp: h.clock.now, query: 'delivery' },
      1,
    )
    expect(log.logs).toEqual([expect.objectContaining({ type: 'delivery' })])
    expect(h.call<Json[]>('private/get_settlement_history_by_currency', { currency: 'BTC' }, 2)).toMatchObject({
      settlements: [],
    })
  })
})

describe('user trades by instrument and currency', () => {
  it('honour the timestamp and sequence bounds, and subaccount_id for a main account', () => {
    const h = harness()
    h.exchange.openAccount(21, { type: 'subaccount', mainAccountId: 1 })
    const t0 = h.clock.now
    h.call('private/buy', { instrument_name: BTC, amount: 10, type: 'market' }, 21)
    h.clock.now += 10_000
    h.call('private/sell', { instrument_name: BTC, amount: 10, type: 'market' }, 21)
    const late = h.call<{ trades: Json[] }>(
      'private/get_user_trades_by_instrument',
      { instrument_name: BTC, start_timestamp: t0 + 1, subaccount_id: 21 },
      1,
    )
    expect(late.trades.length).toBeGreaterThan(0)
    expect(late.trades.every((t) => t.direction === 'sell')).toBe(true)
    const all = h.call<{ trades: Json[] }>(
      'private/get_user_trades_by_currency',
      { currency: 'BTC', subaccount_id: 21 },
      1,
    )
    const seqs = all.trades.map((t) => t.trade_seq as number)
    const first = Math.min(...seqs)
    const bySeq = h.call<{ trades: Json[] }>(
      'private/get_user_trades_by_instrument',
      { instrument_name: BTC, start_seq: first, end_seq: first },
      21,
    )
    expect(bySeq.trades.map((t) => t.trade_seq)).toEqual([first])
    expect(h.call<{ trades: Json[] }>('private/get_user_trades_by_currency', { currency: 'BTC' }, 1).trades).toEqual([])
  })
})
