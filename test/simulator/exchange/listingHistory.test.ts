/**
 * An exchange that starts mid-life: what is live at the start was listed earlier and holds open
 * interest already, so its history, charts and settlements reach back before the start, while an
 * instrument listed later starts empty.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
const DAY = 86_400_000

describe('instruments live at the start', () => {
  it('were listed before it, and have marks, candles and settlements from then', () => {
    const h = harness()
    const start = h.clock.now
    const futures = h.call<Json[]>('public/get_instruments', { currency: 'BTC', kind: 'future' })
    const dated = futures.filter((f) => f.settlement_period !== 'perpetual')
    expect(dated.length).toBeGreaterThan(2)
    for (const f of dated) {
      expect(f.creation_timestamp as number).toBeLessThan(start)
      expect(f.creation_timestamp as number).toBeGreaterThanOrEqual(start - 35 * DAY)
    }
    const options = h.call<Json[]>('public/get_instruments', { currency: 'ETH', kind: 'option' })
    expect(options.every((o) => (o.creation_timestamp as number) < start)).toBe(true)
    const future = dated[0] as Json
    const name = String(future.instrument_name)
    const marks = h.call<unknown[]>('public/get_mark_price_history', {
      instrument_name: name,
      start_timestamp: start - DAY,
      end_timestamp: start,
    })
    expect(marks.length).toBeGreaterThan(100)
    const chart = h.call<{ status: string; close: number[] }>('public/get_tradingview_chart_data', {
      instrument_name: name,
      start_timestamp: start - DAY,
      end_timestamp: start,
      resolution: '60',
    })
    expect(chart.close.length).toBeGreaterThanOrEqual(23)
    const settlements = h.call<{ settlements: Json[] }>('public/get_last_settlements_by_instrument', {
      instrument_name: name,
      type: 'settlement',
    })
    expect(settlements.settlements.length).toBeGreaterThan(0)
  })

  it('hold open interest, except spot pairs and what is listed later', () => {
    const h = harness()
    for (const name of ['BTC-PERPETUAL', 'ETH-PERPETUAL', 'BTC_USDC-PERPETUAL'])
      expect(h.call<Json>('public/ticker', { instrument_name: name }).open_interest as number).toBeGreaterThan(0)
    const options = h.call<Json[]>('public/get_book_summary_by_currency', { currency: 'BTC', kind: 'option' })
    expect(options.every((o) => (o.open_interest as number) > 0)).toBe(true)
    expect(h.call<Json>('public/ticker', { instrument_name: 'BTC_USDC' }).open_interest).toBe(0)
    const [fresh] = h.exchange.market.listStrikes('BTC')
    expect(h.call<Json>('public/ticker', { instrument_name: fresh }).open_interest).toBe(0)
    // The same seed gives the same market.
    expect(harness().call<Json>('public/ticker', { instrument_name: 'BTC-PERPETUAL' }).open_interest).toBe(
      h.call<Json>('public/ticker', { instrument_name: 'BTC-PERPETUAL' }).open_interest,
    )
  })
})
