import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { OrderTracker, RECONCILE_NOT_FOUND_REASON, trackerInternals } from '../../src/orders/orderTracker.js'
import type { Order } from '../../src/protocol/types.js'
import { order } from './orderFixtures.js'

describe('OrderTracker, fed by the client', () => {
  it('adds, updates, and ignores duplicates and older updates', () => {
    const tracker = new OrderTracker()
    const events = vi.fn()
    tracker.on('order', events)
    const open = order({ order_id: 'A', label: 'L1' })
    const partial = order({ order_id: 'A', label: 'L1', last_update_timestamp: 2_000, filled_amount: 40 })
    expect(trackerInternals(tracker).apply(open, 12)).toBe('added')
    expect(trackerInternals(tracker).apply(open, 12)).toBe('ignored')
    expect(trackerInternals(tracker).apply(partial, 12)).toBe('updated')
    expect(trackerInternals(tracker).apply(open, 12)).toBe('ignored')
    expect(tracker.get('A')).toEqual(partial)
    expect(events).toHaveBeenCalledTimes(2)
    expect(events).toHaveBeenLastCalledWith(partial, 12)
    expect(tracker.byLabel('L1')).toEqual([partial])
    expect(tracker.subjectOf('A')).toBe(12)
    expect(tracker.forSubject(12)).toEqual([partial])
    expect(tracker.forSubject(undefined)).toEqual([])
  })

  it('at an equal timestamp: a terminal state wins, a replaced edit updates, a plain repeat does not', () => {
    const tracker = new OrderTracker()
    trackerInternals(tracker).apply(order({ order_id: 'A' }), undefined)
    expect(trackerInternals(tracker).apply(order({ order_id: 'A', order_state: 'cancelled' }), undefined)).toBe(
      'updated',
    )
    expect(trackerInternals(tracker).apply(order({ order_id: 'A' }), undefined)).toBe('ignored')
    expect(tracker.get('A')?.order_state).toBe('cancelled')
    trackerInternals(tracker).apply(order({ order_id: 'B' }), undefined)
    expect(trackerInternals(tracker).apply(order({ order_id: 'B', replaced: true, price: 49_000 }), undefined)).toBe(
      'updated',
    )
    expect(tracker.get('B')?.price).toBe(49_000)
    expect(trackerInternals(tracker).apply(order({ order_id: 'B', price: 1 }), undefined)).toBe('ignored')
  })

  it('ignores malformed input instead of throwing', () => {
    const tracker = new OrderTracker()
    for (const bad of [null, 5, {}, { order_id: 'x' }, { ...order({ order_id: 'y' }), order_state: 'weird' }]) {
      expect(trackerInternals(tracker).apply(bad as Order, undefined)).toBe('ignored')
    }
    expect(tracker.size).toBe(0)
  })

  it('lists open and untriggered orders only', () => {
    const tracker = new OrderTracker()
    trackerInternals(tracker).apply(order({ order_id: 'A' }), 1)
    trackerInternals(tracker).apply(order({ order_id: 'B', order_state: 'untriggered' }), 1)
    trackerInternals(tracker).apply(order({ order_id: 'C', order_state: 'filled' }), 1)
    trackerInternals(tracker).apply(order({ order_id: 'D', order_state: 'triggered' }), 1)
    expect(tracker.open().map((o) => o.order_id)).toEqual(['A', 'B'])
    trackerInternals(tracker).apply(order({ order_id: 'A', order_state: 'filled', last_update_timestamp: 5_000 }), 1)
    expect(tracker.open().map((o) => o.order_id)).toEqual(['B'])
  })

  it('keeps a subject once known when later updates come without one', () => {
    const tracker = new OrderTracker()
    trackerInternals(tracker).apply(order({ order_id: 'A' }), undefined)
    trackerInternals(tracker).apply(order({ order_id: 'A' }), 7)
    expect(tracker.subjectOf('A')).toBe(7)
    trackerInternals(tracker).apply(order({ order_id: 'A', last_update_timestamp: 9_000 }), undefined)
    expect(tracker.subjectOf('A')).toBe(7)
  })

  it('ends in the newest state for any arrival order, with duplicates (property)', () => {
    const states = ['open', 'open', 'filled', 'cancelled', 'untriggered'] as const
    const history = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.constantFrom(...states), fc.integer({ min: 0, max: 50 })), {
        minLength: 1,
        maxLength: 12,
      })
      .map((steps) => {
        // A history as the exchange reports it: timestamps never decrease, nothing follows a
        // final state, and within one millisecond the order only gets more final or more filled.
        let ts = 1_000
        let filled = 0
        const updates: Order[] = []
        for (const [dt, state, df] of steps) {
          ts += dt
          filled += df
          updates.push(order({ order_id: 'X', last_update_timestamp: ts, filled_amount: filled, order_state: state }))
          if (state === 'filled' || state === 'cancelled') break
        }
        return updates
      })
      .filter((updates) => {
        const final = (o: Order) => (o.order_state === 'filled' || o.order_state === 'cancelled' ? 1 : 0)
        for (let i = 1; i < updates.length; i++) {
          const a = updates[i - 1] as Order
          const b = updates[i] as Order
          if (a.last_update_timestamp !== b.last_update_timestamp) continue
          if (!(final(b) > final(a) || (final(b) === final(a) && (b.filled_amount ?? 0) > (a.filled_amount ?? 0))))
            return false
        }
        return true
      })
    fc.assert(
      fc.property(
        history.chain((updates) =>
          fc.tuple(
            fc.constant(updates),
            fc.shuffledSubarray([...updates, ...updates], { minLength: updates.length * 2 }),
          ),
        ),
        ([updates, delivered]) => {
          const tracker = new OrderTracker()
          for (const u of delivered) trackerInternals(tracker).apply(u, 3)
          expect(tracker.get('X')).toEqual(updates.at(-1))
          expect(tracker.open().length).toBe(
            ['open', 'untriggered'].includes(updates.at(-1)?.order_state ?? '') ? 1 : 0,
          )
        },
      ),
      { numRuns: 300 },
    )
  })

  it('keeps open orders always and closed ones up to the limit', () => {
    const tracker = new OrderTracker({ maxClosedOrders: 3 })
    trackerInternals(tracker).apply(order({ order_id: 'open-1', label: 'keep' }), undefined)
    for (let i = 0; i < 10; i++)
      trackerInternals(tracker).apply(order({ order_id: `c${i}`, label: `l${i}`, order_state: 'filled' }), 1)
    expect(tracker.size).toBe(4)
    expect(tracker.get('c0')).toBeUndefined()
    expect(tracker.byLabel('l0')).toEqual([])
    expect(tracker.get('c9')).toBeDefined()
    expect(tracker.open().map((o) => o.order_id)).toEqual(['open-1'])
  })

  it('a throwing order listener does not break apply', () => {
    const onListenerError = vi.fn()
    const tracker = new OrderTracker({ onListenerError })
    tracker.on('order', () => {
      throw new Error('user bug')
    })
    expect(trackerInternals(tracker).apply(order({ order_id: 'A' }), 1)).toBe('added')
    expect(onListenerError).toHaveBeenCalledTimes(1)
  })
})

describe('OrderTracker reconciliation', () => {
  it('applies unknown and changed exchange orders, settles missing ones, and matches the exchange', async () => {
    const tracker = new OrderTracker()
    trackerInternals(tracker).apply(order({ order_id: 'same' }), 5)
    trackerInternals(tracker).apply(order({ order_id: 'changed' }), 5)
    trackerInternals(tracker).apply(order({ order_id: 'filledAway' }), 5)
    trackerInternals(tracker).apply(order({ order_id: 'vanished' }), 5)
    trackerInternals(tracker).apply(order({ order_id: 'otherSubject' }), 6)
    const exchange = [
      order({ order_id: 'same' }),
      order({ order_id: 'changed', last_update_timestamp: 2_000, filled_amount: 10 }),
      order({ order_id: 'new' }),
    ]
    const fetchState = vi.fn(async (id: string) =>
      id === 'filledAway' ? order({ order_id: id, order_state: 'filled', last_update_timestamp: 3_000 }) : undefined,
    )
    const events = vi.fn()
    tracker.on('order', events)
    const result = await trackerInternals(tracker).reconcile(5, exchange, fetchState)
    expect(result).toEqual({ added: 1, updated: 1, closed: 2 })
    expect(fetchState.mock.calls.map((c) => c[0]).sort()).toEqual(['filledAway', 'vanished'])
    expect(tracker.get('filledAway')?.order_state).toBe('filled')
    expect(tracker.get('vanished')).toMatchObject({
      order_state: 'cancelled',
      cancel_reason: RECONCILE_NOT_FOUND_REASON,
    })
    const openFor5 = tracker.open().filter((o) => tracker.subjectOf(o.order_id) === 5)
    expect(openFor5.map((o) => o.order_id).sort()).toEqual(['changed', 'new', 'same'])
    expect(tracker.get('otherSubject')?.order_state).toBe('open')
    expect(tracker.subjectOf('new')).toBe(5)
    expect(events).toHaveBeenCalledTimes(4)
  })

  it('never goes back in time: a newer update already held beats the exchange list', async () => {
    const tracker = new OrderTracker()
    trackerInternals(tracker).apply(order({ order_id: 'A', order_state: 'filled', last_update_timestamp: 5_000 }), 1)
    const result = await trackerInternals(tracker).reconcile(
      1,
      [order({ order_id: 'A', last_update_timestamp: 4_000 })],
      async () => {
        throw new Error('not called')
      },
    )
    expect(result).toEqual({ added: 0, updated: 0, closed: 0 })
    expect(tracker.get('A')?.order_state).toBe('filled')
  })

  it('settles the others, then rethrows when fetchState fails; `only` narrows the check', async () => {
    const tracker = new OrderTracker()
    trackerInternals(tracker).apply(order({ order_id: 'A' }), 1)
    trackerInternals(tracker).apply(order({ order_id: 'B' }), 1)
    trackerInternals(tracker).apply(order({ order_id: 'E', instrument_name: 'ETH-PERPETUAL' }), 1)
    const failure = new Error('connection lost')
    await expect(
      trackerInternals(tracker).reconcile(
        1,
        [],
        async (id) => {
          if (id === 'A') throw failure
          return undefined
        },
        { only: (o) => o.instrument_name.startsWith('BTC') },
      ),
    ).rejects.toBe(failure)
    expect(tracker.get('A')?.order_state).toBe('open')
    expect(tracker.get('B')?.order_state).toBe('cancelled')
    expect(tracker.get('E')?.order_state).toBe('open')
  })

  it('does not close an order a notification settled during the lookup', async () => {
    const tracker = new OrderTracker()
    trackerInternals(tracker).apply(order({ order_id: 'A' }), 1)
    const result = await trackerInternals(tracker).reconcile(1, [], async () => {
      trackerInternals(tracker).apply(order({ order_id: 'A', order_state: 'filled', last_update_timestamp: 2_000 }), 1)
      return undefined
    })
    expect(result.closed).toBe(0)
    expect(tracker.get('A')?.order_state).toBe('filled')
  })
})
