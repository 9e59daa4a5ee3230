/**
 * Deribit's JSON-RPC error codes with their exact wire messages (https://docs.deribit.com/ lists them).
 * Clients key on the number; the message is what the exchange (and the simulator) sends.
 */
export const DERIBIT_ERRORS = {
  authorization_required: 10000,
  error: 10001,
  order_not_found: 10004,
  not_enough_funds: 10009,
  already_closed: 10010,
  invalid_or_unsupported_instrument: 10020,
  too_many_requests: 10028,
  not_owner_of_order: 10029,
  must_be_websocket_request: 10030,
  retry: 10040,
  settlement_in_progress: 10041,
  price_wrong_tick: 10043,
  matching_engine_queue_full: 10047,
  cancel_on_disconnect_failed: 10049,
  too_many_concurrent_requests: 10066,
  invalid_arguments: 11029,
  not_open_order: 11044,
  bad_request: 11050,
  system_maintenance: 11051,
  subscribe_error_unsubscribed: 11052,
  post_only_reject: 11054,
  internal_server_error: 11094,
  invalid_credentials: 13004,
  unauthorized: 13009,
  value_required: 13010,
  not_found: 13020,
  forbidden: 13021,
  temporarily_unavailable: 13028,
  cod_not_enabled: 13042,
  raw_subscriptions_not_available_for_unauthorized: 13778,
  timed_out: 13888,
} as const

/**
 * Codes that say "not now" rather than anything about the request: rate limits, maintenance,
 * overload, an internal error, a timeout, and a token to renew. A subscribe refused with one of
 * them is no verdict on its channels; they stay wanted and are sent again.
 */
export const TRANSIENT_ERROR_CODES: ReadonlySet<number> = new Set([
  DERIBIT_ERRORS.authorization_required,
  DERIBIT_ERRORS.too_many_requests,
  DERIBIT_ERRORS.retry,
  DERIBIT_ERRORS.settlement_in_progress,
  DERIBIT_ERRORS.matching_engine_queue_full,
  DERIBIT_ERRORS.too_many_concurrent_requests,
  DERIBIT_ERRORS.system_maintenance,
  DERIBIT_ERRORS.internal_server_error,
  DERIBIT_ERRORS.unauthorized,
  DERIBIT_ERRORS.temporarily_unavailable,
  DERIBIT_ERRORS.timed_out,
])

/** A Deribit error message (snake_case, as on the wire). */
export type DeribitErrorMessage = keyof typeof DERIBIT_ERRORS

/** JSON-RPC standard codes with the messages Deribit sends for them. */
export const JSONRPC_ERRORS = {
  missingParams: { code: -32000, message: 'Missing params' },
  entityTooLarge: { code: -32600, message: 'request entity too large' },
  methodNotFound: { code: -32601, message: 'Method not found' },
  invalidParams: { code: -32602, message: 'Invalid params' },
  parseError: { code: -32700, message: 'Parse error' },
} as const

/** Largest request frame (or HTTP body) Deribit accepts, in bytes. */
export const MAX_REQUEST_BYTES = 32 * 1024
