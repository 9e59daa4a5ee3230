/**
 * Which calls are safe to send again when their outcome is unknown (the socket dropped after the
 * frame was written). Unknown private methods count as unsafe: a withdrawal or transfer sent twice
 * is worse than one that has to be checked.
 */

/** Deribit's matching-engine methods (protocol reference §8): orders and everything that moves them. */
export const MATCHING_ENGINE_METHODS: readonly string[] = Object.freeze([
  'private/buy',
  'private/sell',
  'private/edit',
  'private/edit_by_label',
  'private/cancel',
  'private/cancel_by_label',
  'private/cancel_all',
  'private/cancel_all_by_instrument',
  'private/cancel_all_by_currency',
  'private/cancel_all_by_kind_or_type',
  'private/close_position',
  'private/verify_block_trade',
  'private/execute_block_trade',
  'private/move_positions',
  'private/mass_quote',
  'private/cancel_quotes',
  'private/add_block_rfq_quote',
  'private/edit_block_rfq_quote',
  'private/cancel_block_rfq_quote',
  'private/cancel_all_block_rfq_quotes',
])

const MATCHING_ENGINE: ReadonlySet<string> = new Set(MATCHING_ENGINE_METHODS)

/** Refresh tokens are single-use: resending one of these burns (or, under reuse detection, revokes) the session. */
const TOKEN_OPERATIONS: ReadonlySet<string> = new Set(['public/exchange_token', 'public/fork_token'])

/** Private methods that are idempotent although they do not start with `get_`. */
const IDEMPOTENT_PRIVATE: ReadonlySet<string> = new Set([
  'private/subscribe',
  'private/unsubscribe',
  'private/unsubscribe_all',
  'private/enable_cancel_on_disconnect',
  'private/disable_cancel_on_disconnect',
])

/** True for methods that go through Deribit's matching engine (orders, cancels, quotes, block trades). */
export function isMatchingEngineMethod(method: string): boolean {
  return MATCHING_ENGINE.has(method)
}

/**
 * True when sending `method` again after an unknown outcome cannot do harm: reads (`get_*`),
 * public methods, subscribe/unsubscribe. False for matching-engine methods, token operations
 * (`public/exchange_token`, `public/fork_token`, and `public/auth` unless `params` show a grant
 * other than `refresh_token`), `private/logout` and every other private write.
 */
export function isRepeatable(method: string, params?: Record<string, unknown>): boolean {
  if (MATCHING_ENGINE.has(method) || TOKEN_OPERATIONS.has(method)) return false
  if (method === 'public/auth') return params !== undefined && params.grant_type !== 'refresh_token'
  if (method.startsWith('public/')) return true
  if (method.startsWith('private/get_')) return true
  return IDEMPOTENT_PRIVATE.has(method)
}
