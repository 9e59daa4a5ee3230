import { describe, expect, it } from 'vitest'
import { DeribitError } from '../../src/errors.js'
import { currencyOfInstrument } from '../../src/orders/instrumentCurrency.js'
import { MAX_ORDER_LABEL_LENGTH, newOrderLabel } from '../../src/orders/labels.js'

describe('newOrderLabel', () => {
  it('makes unique labels of at most 64 chars with the prefix', () => {
    const labels = Array.from({ length: 10_000 }, () => newOrderLabel())
    expect(new Set(labels).size).toBe(labels.length)
    for (const label of labels.slice(0, 50)) {
      expect(label.startsWith('ds-')).toBe(true)
      expect(label.length).toBeLessThanOrEqual(MAX_ORDER_LABEL_LENGTH)
      expect(label).toMatch(/^[a-z0-9-]+$/)
    }
    expect(newOrderLabel('bot7').startsWith('bot7-')).toBe(true)
  })

  it('refuses a prefix that would push the label past 64 chars', () => {
    expect(newOrderLabel('x'.repeat(30)).length).toBeLessThanOrEqual(64)
    expect(() => newOrderLabel('x'.repeat(60))).toThrow(DeribitError)
  })
})

describe('currencyOfInstrument', () => {
  it.each([
    ['BTC-PERPETUAL', 'BTC'],
    ['BTC_USDC-PERPETUAL', 'USDC'],
    ['ETH-27DEC26-3000-C', 'ETH'],
    ['BTC-15FEB19-3250-P', 'BTC'],
    ['SOL_USDC-27DEC26-150-C', 'USDC'],
    ['ETH_USDT', 'USDT'],
    ['ETH-PERPETUAL', 'ETH'],
  ])('%s → %s', (instrument, currency) => {
    expect(currencyOfInstrument(instrument)).toBe(currency)
  })

  it('refuses names it cannot read', () => {
    for (const bad of ['', '-PERPETUAL', 'BTC_-PERPETUAL', 'B TC-X']) {
      expect(() => currencyOfInstrument(bad)).toThrow(DeribitError)
    }
  })
})
