/**
 * The private methods the simulator deliberately does not simulate. Each answers
 * {@link notSimulated} naming the area, so a bot learns at once that it is talking to a
 * simulator without that product, instead of meeting `-32601` (a method that does not exist)
 * or a made-up answer. The README lists them and says why.
 */
import { type MethodHandler, notSimulated } from '../../contract.js'

/** Areas not simulated and their methods. */
export const NOT_SIMULATED: Readonly<Record<string, readonly string[]>> = {
  'block trades are not simulated': [
    'private/simulate_block_trade',
    'private/verify_block_trade',
    'private/execute_block_trade',
    'private/invalidate_block_trade_signature',
    'private/get_block_trade',
    'private/get_block_trades',
    'private/get_block_trade_requests',
    'private/approve_block_trade',
    'private/reject_block_trade',
    'private/get_broker_trades',
    'private/get_broker_trade_requests',
  ],
  'block RFQs are not simulated': [
    'private/get_block_rfqs',
    'private/create_block_rfq',
    'private/cancel_block_rfq',
    'private/accept_block_rfq',
    'private/cancel_block_rfq_trigger',
    'private/get_block_rfq_quotes',
    'private/add_block_rfq_quote',
    'private/edit_block_rfq_quote',
    'private/cancel_block_rfq_quote',
    'private/cancel_all_block_rfq_quotes',
    'private/get_block_rfq_makers',
    'private/get_block_rfq_user_info',
  ],
  'combo books are not simulated': ['private/create_combo', 'private/get_leg_prices'],
}

/** A handler per not-simulated method, answering {@link notSimulated} with the reason. */
export function notSimulatedMethods(): Record<string, MethodHandler> {
  const methods: Record<string, MethodHandler> = {}
  for (const [reason, names] of Object.entries(NOT_SIMULATED)) {
    for (const name of names) {
      methods[name] = () => {
        throw notSimulated(name, reason)
      }
    }
  }
  return methods
}
