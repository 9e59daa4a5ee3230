/**
 * When a trigger order fires. A stop fires when the price moves against the position it
 * protects (a buy stop at or above its trigger, a sell stop at or below), a take-profit when it
 * moves in favour (the reverse), and a trailing stop when the price falls back from its best
 * level (peak for a sell, trough for a buy) by `trigger_offset`; its trigger price follows
 * that best level.
 */
import { clean } from './numbers.js'
import type { OrderRecord } from './orderRecord.js'

/** Moves a trailing stop's reference and trigger with a new reference price. */
export function trail(order: OrderRecord, ref: number): void {
  if (order.type !== 'trailing_stop' || order.triggerOffset === undefined) return
  const best = order.trailReference ?? ref
  const better = order.direction === 'sell' ? Math.max(best, ref) : Math.min(best, ref)
  order.trailReference = better
  order.triggerPrice = clean(order.direction === 'sell' ? better - order.triggerOffset : better + order.triggerOffset)
}

/** True when an untriggered order's condition holds at reference price `ref`. */
export function fires(order: OrderRecord, ref: number): boolean {
  const price = order.triggerPrice ?? 0
  const up = ref >= price
  const down = ref <= price
  switch (order.type) {
    case 'stop_limit':
    case 'stop_market':
    case 'trailing_stop':
      return order.direction === 'buy' ? up : down
    case 'take_limit':
    case 'take_market':
      return order.direction === 'buy' ? down : up
    default:
      return false
  }
}
