import type { Order, OrderState } from '../protocol/types.js'

const STATES: ReadonlySet<string> = new Set<OrderState>([
  'open',
  'filled',
  'rejected',
  'cancelled',
  'untriggered',
  'triggered',
])

/**
 * True when `value` has the fields the tracker relies on (id, state, timestamps,
 * instrument, label). Wire data is checked with this before it is trusted.
 */
export function isOrder(value: unknown): value is Order {
  if (typeof value !== 'object' || value === null) return false
  const o = value as Record<string, unknown>
  return (
    typeof o.order_id === 'string' &&
    o.order_id.length > 0 &&
    typeof o.order_state === 'string' &&
    STATES.has(o.order_state) &&
    typeof o.last_update_timestamp === 'number' &&
    Number.isFinite(o.last_update_timestamp) &&
    typeof o.creation_timestamp === 'number' &&
    typeof o.instrument_name === 'string' &&
    (o.label === undefined || typeof o.label === 'string')
  )
}

/** Open orders can still trade: `open` and `untriggered`. */
export function isOpenOrder(order: Pick<Order, 'order_state'>): boolean {
  return order.order_state === 'open' || order.order_state === 'untriggered'
}

/** How final a state is: open/untriggered 0, triggered 1, filled/rejected/cancelled 2. */
export function stateRank(state: OrderState): number {
  if (state === 'open' || state === 'untriggered') return 0
  if (state === 'triggered') return 1
  return 2
}
