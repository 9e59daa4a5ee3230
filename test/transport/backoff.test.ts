import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { backoffDelay, DEFAULT_BACKOFF, reconnectDelay } from '../../src/transport/backoff.js'

describe('backoffDelay', () => {
  const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 }

  it('starts at initialDelayMs and grows by factor up to the cap', () => {
    const delays = Array.from({ length: 10 }, (_, attempt) => backoffDelay(attempt, noJitter))
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000])
  })

  it('stays finite and capped for huge or bogus attempts', () => {
    expect(backoffDelay(10_000, noJitter)).toBe(10_000)
    expect(backoffDelay(Number.POSITIVE_INFINITY, noJitter)).toBe(250)
    expect(backoffDelay(-3, noJitter)).toBe(250)
    expect(backoffDelay(Number.NaN, noJitter)).toBe(250)
  })

  it('jitter removes at most the jitter fraction, never exceeding the capped delay', () => {
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 0)).toBe(250)
    expect(backoffDelay(0, DEFAULT_BACKOFF, () => 1)).toBeCloseTo(175)
    expect(backoffDelay(20, DEFAULT_BACKOFF, () => 1)).toBeCloseTo(7000)
    fc.assert(
      fc.property(fc.nat(100), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, r) => {
        const base = backoffDelay(attempt, noJitter)
        const d = backoffDelay(attempt, DEFAULT_BACKOFF, () => r)
        return d <= base && d >= base * (1 - DEFAULT_BACKOFF.jitter) && d <= DEFAULT_BACKOFF.maxDelayMs
      }),
    )
  })

  it('uses Math.random by default, so delays vary', () => {
    const seen = new Set(Array.from({ length: 20 }, () => backoffDelay(3)))
    expect(seen.size).toBeGreaterThan(1)
  })
})

describe('reconnectDelay', () => {
  it('reconnects at once the first time, then follows the backoff curve from the second attempt', () => {
    const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 }
    const delays = Array.from({ length: 9 }, (_, retry) => reconnectDelay(retry, noJitter))
    expect(delays).toEqual([0, 250, 500, 1000, 2000, 4000, 8000, 10_000, 10_000])
    // Jitter never delays the first attempt, and spreads every later one.
    expect(reconnectDelay(0, DEFAULT_BACKOFF, () => 1)).toBe(0)
    expect(reconnectDelay(1, DEFAULT_BACKOFF, () => 1)).toBeCloseTo(175)
    expect(reconnectDelay(Number.NaN, noJitter)).toBe(0)
    expect(reconnectDelay(-1, noJitter)).toBe(0)
  })

  it('is backoffDelay shifted by one attempt (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), fc.double({ min: 0, max: 1, noNaN: true }), (retry, r) => {
        expect(reconnectDelay(retry, DEFAULT_BACKOFF, () => r)).toBe(backoffDelay(retry - 1, DEFAULT_BACKOFF, () => r))
      }),
    )
  })
})
