/**
 * Which calls are safe to send again when their outcome is unknown (the socket dropped after the
 * frame was written). Unknown private methods count as unsafe: a withdrawal or transfer sent twice
 * is worse than one that has to be checked.
 */

import { isMatchingEngineMethod } from '../protocol/matchingEngine.js'

export { isMatchingEngineMethod, MATCHING_ENGINE_METHODS } from '../protocol/matchingEngine.js'

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

/**
 * True when sending `method` again after an unknown outcome cannot do harm: reads (`get_*`),
 * public methods, subscribe/unsubscribe. False for matching-engine methods, token operations
 * (`public/exchange_token`, `public/fork_token`, and `public/auth` unless `params` show a grant
 * other than `refresh_token`), `private/logout` and every other private write.
 */
export function isRepeatable(method: string, params?: Record<string, unknown>): boolean {
  if (isMatchingEngineMethod(method) || TOKEN_OPERATIONS.has(method)) return false
  if (method === 'public/auth') return params !== undefined && params.grant_type !== 'refresh_token'
  if (method.startsWith('public/')) return true
  if (method.startsWith('private/get_')) return true
  return IDEMPOTENT_PRIVATE.has(method)
}
