import { afterEach, describe, expect, it } from 'vitest'
import { NOT_SIMULATED_CODE } from '../../../src/simulator/contract.js'
import { closeAll, type Harness, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
interface OrderResult {
  order: Json
  trades: Json[]
}
const BTC = 'BTC-PERPETUAL'
const MAIN = 1
const SUB = 21

function tree(): Harness {
  const h = harness()
  h.exchange.openAccount(SUB, { type: 'subaccount', mainAccountId: MAIN })
  return h
}

describe('account settings', () => {
  it('keeps the email language and announcement reads per account', () => {
    const h = harness()
    expect(h.call('private/get_email_language', {}, 1)).toBe('en')
    h.call('private/set_email_language', { language: 'ja' }, 1)
    expect(h.call('private/get_email_language', {}, 1)).toBe('ja')
    expect(h.fail('private/set_email_language', { language: 'xx' }, 1)).toMatchObject({ code: -32602 })
    h.exchange.announce('Maintenance', 'Tonight', true)
    const [latest] = h.call<Json[]>('public/get_announcements', {})
    expect(latest).toMatchObject({ title: 'Maintenance', important: true })
    expect(h.call<Json[]>('private/get_new_announcements', {}, 1)[0]?.id).toBe(latest?.id)
    h.call('private/set_announcement_as_read', { announcement_id: latest?.id }, 1)
    expect(h.call<Json[]>('private/get_new_announcements', {}, 1).map((a) => a.id)).not.toContain(latest?.id)
    expect(h.call<Json[]>('private/get_new_announcements', {}, 2).map((a) => a.id)).toContain(latest?.id)
    expect(h.fail('private/set_announcement_as_read', { announcement_id: 999 }, 1)).toMatchObject({ code: -32602 })
  })

  it('prevents self-trades: cancel_maker cancels the resting order, reject_taker the incoming one', () => {
    const h = harness()
    const { bid } = h.top(BTC)
    const price = bid + 0.5
    const resting = h.call<OrderResult>('private/sell', { instrument_name: BTC, amount: 10, price }, 1)
    const taker = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, price }, 1)
    expect(h.call<Json>('private/get_order_state', { order_id: resting.order.order_id }, 1).order_state).toBe(
      'cancelled',
    )
    expect(taker.trades).toEqual([])
    h.call('private/cancel_all', {}, 1)
    h.call('private/set_self_trading_config', { mode: 'reject_taker', extended_to_subaccounts: false }, 1)
    expect(
      h.call<Json>('private/get_account_summary', { currency: 'BTC', extended: true }, 1).self_trading_reject_mode,
    ).toBe('reject_taker')
    // Without `extended` the summary carries only the identity the spec requires.
    expect(h.call<Json>('private/get_account_summary', { currency: 'BTC' }, 1)).not.toHaveProperty(
      'self_trading_reject_mode',
    )
    const again = h.call<OrderResult>('private/sell', { instrument_name: BTC, amount: 10, price }, 1)
    const refused = h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, price }, 1)
    expect(refused.order.order_state).toBe('cancelled')
    expect(h.call<Json>('private/get_order_state', { order_id: again.order.order_id }, 1).order_state).toBe('open')
  })

  it('refuses orders in disabled products, and margin models the simulator does not compute', () => {
    const h = tree()
    h.call('private/set_disabled_trading_products', { user_id: SUB, trading_products: ['perpetual'] }, MAIN)
    expect(h.fail('private/buy', { instrument_name: BTC, amount: 10, type: 'market' }, SUB)).toMatchObject({
      code: 13021,
    })
    expect(
      h.call<OrderResult>('private/buy', { instrument_name: BTC, amount: 10, type: 'market' }, MAIN).order.order_state,
    ).toBe('filled')
    expect(h.fail('private/change_margin_model', { margin_model: 'cross_pm' }, MAIN)).toMatchObject({
      code: NOT_SIMULATED_CODE,
    })
    const same = h.call<Json[]>('private/change_margin_model', { margin_model: 'segregated_sm', dry_run: true }, MAIN)
    expect(same[0]).toMatchObject({ currency: 'BTC', old_state: expect.any(Object), new_state: expect.any(Object) })
  })

  it('simulates a portfolio with extra positions without touching the account', () => {
    const h = harness()
    const before = h.call<Json>('private/get_account_summary', { currency: 'BTC' }, 1)
    const sim = h.call<Json>(
      'private/simulate_portfolio',
      { currency: 'BTC', add_positions: true, simulated_positions: { [BTC]: 100_000 } },
      1,
    )
    expect(sim.initial_margin as number).toBeGreaterThan(before.initial_margin as number)
    expect(h.call<Json[]>('private/get_positions', { currency: 'BTC' }, 1)).toEqual([])
  })

  it('moves positions between accounts of a tree at the given price, without fees', () => {
    const h = tree()
    h.call('private/buy', { instrument_name: BTC, amount: 100, type: 'market' }, MAIN)
    const moved = h.call<Json>(
      'private/move_positions',
      { source_uid: MAIN, target_uid: SUB, trades: [{ instrument_name: BTC, amount: 40, price: 50_000 }] },
      MAIN,
    )
    expect(moved.trades).toEqual([expect.objectContaining({ instrument_name: BTC, amount: 40, source_uid: MAIN })])
    expect(h.call<Json>('private/get_position', { instrument_name: BTC }, MAIN).size).toBe(60)
    expect(h.call<Json>('private/get_position', { instrument_name: BTC }, SUB)).toMatchObject({
      size: 40,
      average_price: 50_000,
    })
    expect(
      h.fail(
        'private/move_positions',
        { source_uid: MAIN, target_uid: SUB, trades: [{ instrument_name: BTC, amount: 100 }] },
        MAIN,
      ),
    ).toMatchObject({ code: -32602 })
  })
})

describe('not simulated', () => {
  it('answers block trade, block RFQ and combo methods with not_simulated naming the area', () => {
    const h = harness()
    expect(h.fail('private/execute_block_trade', {}, 1)).toMatchObject({
      code: NOT_SIMULATED_CODE,
      message: 'not_simulated',
      data: { reason: 'block trades are not simulated', name: 'private/execute_block_trade' },
    })
    expect(h.fail('private/create_block_rfq', {}, 1)).toMatchObject({ code: NOT_SIMULATED_CODE })
    expect(h.fail('private/create_combo', {}, 1)).toMatchObject({ code: NOT_SIMULATED_CODE })
    expect(h.fail('private/get_leg_prices', {}, 1)).toMatchObject({ code: NOT_SIMULATED_CODE })
  })
})
