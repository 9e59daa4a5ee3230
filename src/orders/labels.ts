import { randomBytes } from 'node:crypto'
import { DeribitError } from '../errors.js'

/** Longest label Deribit accepts on an order. */
export const MAX_ORDER_LABEL_LENGTH = 64
/** Prefix of generated labels. */
export const DEFAULT_LABEL_PREFIX = 'ds'

let counter = 0

/**
 * A label unique to one order intent: prefix + time (base 36) + a per-process counter +
 * random characters (so two processes started in the same millisecond still differ).
 * It is how a lost answer is settled, so it must never be reused for another order.
 *
 * @example newOrderLabel() // 'ds-mf3k2x1a-0004-9q2w7e'
 */
export function newOrderLabel(prefix: string = DEFAULT_LABEL_PREFIX): string {
  counter = (counter + 1) % 36 ** 4
  const time = Date.now().toString(36)
  const count = counter.toString(36).padStart(4, '0')
  const random = BigInt(`0x${randomBytes(5).toString('hex')}`)
    .toString(36)
    .padStart(8, '0')
    .slice(-8)
  const label = `${prefix}-${time}-${count}-${random}`
  if (label.length > MAX_ORDER_LABEL_LENGTH) {
    throw new DeribitError(
      'INVALID_ARGUMENT',
      `Label prefix is too long (labels are at most ${MAX_ORDER_LABEL_LENGTH} chars)`,
    )
  }
  return label
}
