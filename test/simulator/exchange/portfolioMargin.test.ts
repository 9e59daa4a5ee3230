import { afterEach, describe, expect, it } from 'vitest'
import { INITIAL_MARGIN_FACTOR, PRICE_SHOCKS } from '../../../src/simulator/exchange/portfolioMargin.js'
import { closeAll, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
interface Simulation {
  currency: string
  positions: Record<string, number>
  risk_matrix: Record<string, number[][]>
  aggregated_risk_vector: number[][]
  worst_case: { price_shock: number; volatility_shock: number; pnl: number }
  maintenance_margin: number
  initial_margin: number
  margin_balance: number
  available_balance: number
}
const MAIN = 1

describe('private/pme/simulate', () => {
  it('needs no margin for an empty portfolio', () => {
    const h = harness()
    const r = h.call<Simulation>('private/pme/simulate', { currency: 'BTC' }, MAIN)
    expect(r).toMatchObject({ maintenance_margin: 0, initial_margin: 0, positions: {}, margin_balance: 10 })
  })

  it('stresses a long inverse perpetual: the worst case is the largest fall, priced as the ledger books P&L', () => {
    const h = harness()
    h.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10_000, type: 'market' }, MAIN)
    const mark = h.call<Json>('public/ticker', { instrument_name: 'BTC-PERPETUAL' }).mark_price as number
    const size = h.call<Json>('private/get_position', { instrument_name: 'BTC-PERPETUAL' }, MAIN).size as number
    expect(size).toBeGreaterThan(0)
    const r = h.call<Simulation>('private/pme/simulate', { currency: 'BTC' }, MAIN)
    const fall = PRICE_SHOCKS[0] as number
    expect(r.worst_case.price_shock).toBe(fall)
    // An inverse contract of N USD loses N (1/m − 1/m') coin when the mark goes from m to m'.
    const loss = size * (1 / (mark * (1 + fall)) - 1 / mark)
    expect(r.maintenance_margin).toBeCloseTo(loss, 5)
    expect(r.initial_margin).toBeCloseTo(loss * INITIAL_MARGIN_FACTOR, 5)
    expect(r.positions['BTC-PERPETUAL']).toBeCloseTo(size / mark, 6)
    // The rows are volatility shocks; a perpetual does not care about volatility.
    expect(r.risk_matrix['BTC-PERPETUAL']?.[0]).toEqual(r.risk_matrix['BTC-PERPETUAL']?.[2])
    expect(r.available_balance).toBeCloseTo(r.margin_balance - r.initial_margin, 8)
  })

  it('adds simulated positions (sizes in base currency): an opposite one hedges, alone it is stressed the other way', () => {
    const h = harness()
    h.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10_000, type: 'market' }, MAIN)
    const held = h.call<Simulation>('private/pme/simulate', { currency: 'BTC' }, MAIN)
    const base = held.positions['BTC-PERPETUAL'] as number
    const hedged = h.call<Simulation>(
      'private/pme/simulate',
      { currency: 'BTC', simulated_positions: { 'BTC-PERPETUAL': -base } },
      MAIN,
    )
    expect(hedged.maintenance_margin).toBeLessThan(held.maintenance_margin / 100)
    const alone = h.call<Simulation>(
      'private/pme/simulate',
      { currency: 'BTC', add_positions: false, simulated_positions: JSON.stringify({ 'BTC-PERPETUAL': -1 }) },
      MAIN,
    )
    expect(alone.positions).toEqual({ 'BTC-PERPETUAL': -1 })
    expect(alone.worst_case.price_shock).toBe(PRICE_SHOCKS.at(-1))
  })

  it('stresses options over volatility too: a long call loses most when price and volatility both fall', () => {
    const h = harness()
    const options = h.call<Json[]>('public/get_instruments', { currency: 'BTC', kind: 'option' })
    const call = options.find((o) => o.option_type === 'call' && o.settlement_currency === 'BTC')
    expect(call).toBeDefined()
    const name = String(call?.instrument_name)
    const r = h.call<Simulation>(
      'private/pme/simulate',
      { currency: 'BTC', add_positions: false, simulated_positions: { [name]: 10 } },
      MAIN,
    )
    expect(r.worst_case).toMatchObject({ price_shock: PRICE_SHOCKS[0], volatility_shock: -0.25 })
    expect(r.maintenance_margin).toBeGreaterThan(0)
    const row = r.risk_matrix[name]?.[1] ?? []
    expect(row[row.length - 1]).toBeGreaterThan(0) // a rise pays a long call
  })

  it('values CROSS in USD over every currency, and refuses what it cannot simulate', () => {
    const h = harness()
    h.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10_000, type: 'market' }, MAIN)
    const btc = h.call<Simulation>('private/pme/simulate', { currency: 'BTC' }, MAIN)
    const size = h.call<Json>('private/get_position', { instrument_name: 'BTC-PERPETUAL' }, MAIN).size as number
    const cross = h.call<Simulation>('private/pme/simulate', { currency: 'CROSS' }, MAIN)
    // A 16 % fall costs 16 % of the position's USD size (the coin loss valued at the fallen index),
    // up to the perpetual's premium over its index.
    expect(Math.abs(cross.maintenance_margin / (size * 0.16) - 1)).toBeLessThan(0.01)
    expect(cross.margin_balance).toBeGreaterThan(btc.margin_balance)
    expect(h.fail('private/pme/simulate', { currency: 'USDT' }, MAIN)).toMatchObject({ data: { param: 'currency' } })
    expect(
      h.fail('private/pme/simulate', { currency: 'BTC', simulated_positions: { 'ETH-PERPETUAL': 1 } }, MAIN),
    ).toMatchObject({ data: { param: 'simulated_positions' } })
    expect(
      h.fail('private/pme/simulate', { currency: 'BTC', simulated_positions: { 'BTC-NOPE': 1 } }, MAIN),
    ).toMatchObject({ code: 10020 })
    expect(h.fail('private/pme/simulate', { currency: 'BTC', simulated_positions: '{not json' }, MAIN)).toMatchObject({
      data: { param: 'simulated_positions' },
    })
  })
})
