import { DeribitError, ProtocolError } from '../errors.js'
import { DERIBIT_ERRORS } from '../protocol/errorCodes.js'
import type { Order } from '../protocol/types.js'
import type { CallOptions, RpcCaller } from '../session/rpcCaller.js'
import { currencyOfInstrument } from './instrumentCurrency.js'
import { isOrder } from './orderShape.js'

/**
 * Finds out what became of an order whose answer was lost, by its label
 * (`private/get_order_state_by_label {currency, label}`). This is the only way such an order
 * is settled: it is never sent again blindly. Resolves with the newest order carrying the
 * label (preferring ones on `instrumentName`), or undefined when the exchange has none,
 * which is definite: the order was not placed. Errors of the lookup itself propagate
 * (the outcome is then still unknown).
 */
export async function settleByLabel(
  rpc: RpcCaller,
  target: { label: string; instrumentName: string },
  options?: CallOptions,
): Promise<Order | undefined> {
  const method = 'private/get_order_state_by_label'
  const params = { currency: currencyOfInstrument(target.instrumentName), label: target.label }
  let result: unknown
  try {
    result = await rpc.call<unknown>(method, params, options)
  } catch (error) {
    // Some answers for "no such label" come as order_not_found rather than an empty list.
    if (error instanceof DeribitError && error.exchangeCode === DERIBIT_ERRORS.order_not_found) return undefined
    throw error
  }
  if (!Array.isArray(result)) throw new ProtocolError(`${method} answered with a non-array result`, { method })
  const valid = result.filter(isOrder)
  // A malformed entry might be the order in question: better "unknown" than a wrong "not placed".
  if (valid.length < result.length) throw new ProtocolError(`${method} answered with malformed orders`, { method })
  const orders = valid.filter((o) => o.label === target.label)
  const sameInstrument = orders.filter((o) => o.instrument_name === target.instrumentName)
  const candidates = sameInstrument.length > 0 ? sameInstrument : orders
  let newest: Order | undefined
  for (const order of candidates) {
    if (
      newest === undefined ||
      order.creation_timestamp > newest.creation_timestamp ||
      (order.creation_timestamp === newest.creation_timestamp &&
        order.last_update_timestamp > newest.last_update_timestamp)
    ) {
      newest = order
    }
  }
  return newest
}
