/**
 * The option strike ladder follows the index: when the index comes within one strike of the
 * edge of an expiry's ladder, the listing adds strikes on that side, as an exchange does.
 */
import { describe, expect, it } from 'vitest'
import { Listing } from '../../../src/simulator/exchange/listing.js'

const START = Date.UTC(2026, 11, 7, 12)
const INDEX = { BTC: 60_000, ETH: 3_000 }

function strikes(listing: Listing, coin: 'BTC' | 'ETH'): number[] {
  return [
    ...new Set(listing.active.filter((s) => s.kind === 'option' && s.base_currency === coin).map((s) => s.strike)),
  ]
    .map(Number)
    .sort((a, b) => a - b)
}

describe('the strike ladder', () => {
  it('lists nothing while the index stays inside the ladder', () => {
    const listing = new Listing(START, (coin) => INDEX[coin])
    expect(listing.followIndex('BTC', 60_000, START)).toEqual([])
    expect(listing.followIndex('BTC', 61_900, START)).toEqual([])
    expect(listing.followIndex('ETH', 2_950, START)).toEqual([])
  })

  it('lists a higher strike on every expiry when the index nears the top, and lower ones near the bottom', () => {
    const listing = new Listing(START, (coin) => INDEX[coin])
    const before = strikes(listing, 'BTC')
    expect(before).toEqual([56_000, 58_000, 60_000, 62_000, 64_000])
    const expiries = new Set(
      listing.active.filter((s) => s.kind === 'option' && s.base_currency === 'BTC').map((s) => s.expiration_timestamp),
    )
    const up = listing.followIndex('BTC', 62_500, START + 1)
    expect(up).toHaveLength(expiries.size * 2)
    expect(up.every((s) => s.strike === 66_000 && s.creation_timestamp === START + 1)).toBe(true)
    expect(new Set(up.map((s) => s.option_type))).toEqual(new Set(['call', 'put']))
    for (const s of up) expect(listing.byName.get(s.instrument_name)).toBe(s)
    // Caught up: the same index lists nothing more.
    expect(listing.followIndex('BTC', 62_500, START + 2)).toEqual([])
    const down = listing.followIndex('BTC', 57_000, START + 3)
    expect(down.every((s) => s.strike === 54_000)).toBe(true)
    expect(strikes(listing, 'BTC')).toEqual([54_000, 56_000, 58_000, 60_000, 62_000, 64_000, 66_000])
    // The other coin's ladder is its own.
    expect(strikes(listing, 'ETH')).toEqual([2_800, 2_900, 3_000, 3_100, 3_200])
  })

  it('never lists a strike at or below zero', () => {
    const listing = new Listing(START, (coin) => (coin === 'ETH' ? 150 : INDEX.BTC))
    const low = strikes(listing, 'ETH')[0] as number
    expect(listing.followIndex('ETH', 1, START).filter((s) => (s.strike ?? 0) <= 0)).toEqual([])
    expect(strikes(listing, 'ETH').every((k) => k > 0)).toBe(true)
    expect(low).toBeGreaterThan(0)
  })
})
