/**
 * Deribit's matching-engine methods: orders and everything that moves
 * them. They are charged to the tiered per-subaccount pool, and they are never repeated blindly.
 * Shared by the client's credit limiter and call policy and by the simulator's rate limiter.
 */
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

/** True for a matching-engine method. */
export function isMatchingEngineMethod(method: string): boolean {
  return MATCHING_ENGINE_SET.has(method)
}

const MATCHING_ENGINE_SET: ReadonlySet<string> = new Set(MATCHING_ENGINE_METHODS)
