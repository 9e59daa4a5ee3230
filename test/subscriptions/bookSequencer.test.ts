import { describe, expect, it } from 'vitest'
import { BookSequencer } from '../../src/subscriptions/bookSequencer.js'

const CH = 'book.BTC-PERPETUAL.raw'

describe('BookSequencer', () => {
  it('accepts a chain by equality, not +1', () => {
    const seq = new BookSequencer()
    expect(seq.check(CH, { type: 'snapshot', change_id: 100 })).toBe('snapshot')
    expect(seq.check(CH, { type: 'change', change_id: 103, prev_change_id: 100 })).toBe('ok')
    expect(seq.check(CH, { type: 'change', change_id: 110, prev_change_id: 103 })).toBe('ok')
    expect(seq.lastChangeId(CH)).toBe(110)
  })

  it('flags a change that does not follow, even if it is last + 1', () => {
    const seq = new BookSequencer()
    seq.check(CH, { type: 'snapshot', change_id: 100 })
    expect(seq.check(CH, { type: 'change', change_id: 102, prev_change_id: 101 })).toBe('gap')
    expect(seq.check(CH, { type: 'change', change_id: 103, prev_change_id: 102 })).toBe('gap')
    expect(seq.check(CH, { type: 'snapshot', change_id: 200 })).toBe('snapshot')
    expect(seq.check(CH, { type: 'change', change_id: 201, prev_change_id: 200 })).toBe('ok')
  })

  it('treats a change before any snapshot, a missing prev id, or a duplicate as a gap', () => {
    const seq = new BookSequencer()
    expect(seq.check(CH, { type: 'change', change_id: 5, prev_change_id: 4 })).toBe('gap')
    seq.check(CH, { type: 'snapshot', change_id: 5 })
    expect(seq.check(CH, { type: 'change', change_id: 6 })).toBe('gap')
    seq.check(CH, { type: 'snapshot', change_id: 5 })
    seq.check(CH, { type: 'change', change_id: 6, prev_change_id: 5 })
    expect(seq.check(CH, { type: 'change', change_id: 6, prev_change_id: 5 })).toBe('gap')
  })

  it('keeps channels apart and resets', () => {
    const seq = new BookSequencer()
    seq.check(CH, { type: 'snapshot', change_id: 1 })
    seq.check('book.ETH-PERPETUAL.raw', { type: 'snapshot', change_id: 50 })
    expect(seq.check('book.ETH-PERPETUAL.raw', { type: 'change', change_id: 51, prev_change_id: 50 })).toBe('ok')
    seq.reset(CH)
    expect(seq.last(CH)).toBeUndefined()
    expect(seq.check(CH, { type: 'change', change_id: 2, prev_change_id: 1 })).toBe('gap')
    seq.reset()
    expect(seq.last('book.ETH-PERPETUAL.raw')).toBeUndefined()
  })
})
