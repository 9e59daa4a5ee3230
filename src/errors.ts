/**
 * Every error this SDK throws or emits is a {@link DeribitError}: a stable string `code`
 * to switch on, the exchange's numeric code when the exchange sent one, and a `cause`
 * chain. Messages never carry tokens, secrets or request params.
 */

/** The closed set of error codes; `switch (err.code)` narrows. */
export type DeribitErrorCode =
  | 'RPC_ERROR'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'CONNECTION_CLOSED'
  | 'NOT_CONNECTED'
  | 'OUTCOME_UNKNOWN'
  | 'NOT_PLACED'
  | 'AUTH_FAILED'
  | 'RATE_LIMITED'
  | 'REVOKED'
  | 'TRANSITION_FAILED'
  | 'PROTOCOL'
  | 'CLOSED'
  | 'STORE_CONFLICT'
  | 'STORE_CORRUPT'
  | 'STORE_KEY'
  | 'STORE_UNAVAILABLE'
  | 'INVALID_ARGUMENT'
  | 'SUBSCRIPTION_OVERFLOW'
  | 'LISTENER_ERROR'

/** Options every error takes. */
export interface DeribitErrorOptions {
  /** The exchange's JSON-RPC error code, when the exchange answered with one. */
  exchangeCode?: number
  /** `error.data` from the exchange (e.g. `{reason, param}`); never holds secrets. */
  data?: unknown
  /** The JSON-RPC method the error belongs to. */
  method?: string
  /** The underlying error, kept as the standard `Error.cause`. */
  cause?: unknown
}

/** Base class of every error of this package. */
export class DeribitError extends Error {
  /** The class name (`'RpcError'`, `'TimeoutError'`...), as shown in stack traces. */
  override name = 'DeribitError'
  /** Stable string code to switch on; see {@link DeribitErrorCode}. */
  readonly code: DeribitErrorCode
  /** The exchange's JSON-RPC error code (e.g. 13009, 10028), or `undefined` when the exchange sent none. */
  readonly exchangeCode: number | undefined
  /** `error.data` from the exchange (e.g. `{reason, param}`), if any; never holds secrets. */
  readonly data: unknown
  /** The JSON-RPC method the error belongs to (e.g. `private/buy`), when there is one. */
  readonly method: string | undefined

  constructor(code: DeribitErrorCode, message: string, options: DeribitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.exchangeCode = options.exchangeCode
    this.data = options.data
    this.method = options.method
  }
}

/** The exchange answered a call with a JSON-RPC error not covered by a narrower class. */
export class RpcError extends DeribitError {
  override name = 'RpcError'
  constructor(message: string, options: DeribitErrorOptions = {}) {
    super('RPC_ERROR', message, options)
  }
}

/** A call got no answer within its timeout. For an order, see {@link OrderOutcomeUnknownError}. */
export class TimeoutError extends DeribitError {
  override name = 'TimeoutError'
  constructor(message: string, options: DeribitErrorOptions = {}) {
    super('TIMEOUT', message, options)
  }
}

/** The caller's AbortSignal fired before the call settled. */
export class AbortError extends DeribitError {
  override name = 'AbortError'
  constructor(message = 'The operation was aborted', options: DeribitErrorOptions = {}) {
    super('ABORTED', message, options)
  }
}

/**
 * The socket closed while the call was in flight (`CONNECTION_CLOSED`), or there was no
 * open, authenticated socket to send it on (`NOT_CONNECTED`): the frame was never written.
 */
export class ConnectionClosedError extends DeribitError {
  override name = 'ConnectionClosedError'
  constructor(message: string, options: DeribitErrorOptions & { notSent?: boolean } = {}) {
    super(options.notSent ? 'NOT_CONNECTED' : 'CONNECTION_CLOSED', message, options)
  }
}

/**
 * An order request was written but its answer was lost, and looking the order up by its
 * label could not settle whether it exists. The label is the handle to look it up later.
 */
export class OrderOutcomeUnknownError extends DeribitError {
  override name = 'OrderOutcomeUnknownError'
  /** The order's label, to find it later (e.g. `private/get_order_state_by_label`). */
  readonly label: string
  /** The (sub)account the order was sent for (undefined: the key's main account or not known). */
  readonly subjectId: number | undefined
  constructor(label: string, options: DeribitErrorOptions & { subjectId?: number | undefined } = {}) {
    const { subjectId, ...rest } = options
    super(
      'OUTCOME_UNKNOWN',
      `Outcome of order with label ${label} on ${subjectId === undefined ? 'the main account' : `account ${subjectId}`} is unknown`,
      rest,
    )
    this.label = label
    this.subjectId = subjectId
  }
}

/**
 * An order request was written and its answer lost, and the exchange has no order with its
 * label: it was definitely not placed, so placing it again cannot duplicate it.
 */
export class OrderNotPlacedError extends DeribitError {
  override name = 'OrderNotPlacedError'
  /** The label the order was sent with; no order with this label exists on the exchange. */
  readonly label: string
  constructor(label: string, options: DeribitErrorOptions = {}) {
    super(
      'NOT_PLACED',
      `Order with label ${label} was not placed (its answer was lost; the exchange has no such order)`,
      options,
    )
    this.label = label
  }
}

/** Authentication failed: bad key or signature, expired or foreign token (13004, 13009, 10000). */
export class AuthError extends DeribitError {
  override name = 'AuthError'
  constructor(message: string, options: DeribitErrorOptions = {}) {
    super('AUTH_FAILED', message, options)
  }
}

/** The exchange refused a call for lack of credits (10028) and closed the connection. */
export class RateLimitedError extends DeribitError {
  override name = 'RateLimitedError'
  constructor(message: string, options: DeribitErrorOptions = {}) {
    super('RATE_LIMITED', message, { exchangeCode: 10028, ...options })
  }
}

/** The session was revoked (by the exchange or by an operator through a store); the client stops. */
export class RevokedError extends DeribitError {
  override name = 'RevokedError'
  constructor(message: string, options: DeribitErrorOptions = {}) {
    super('REVOKED', message, options)
  }
}

/** A refresh, exchange, fork or switch failed; the client stayed on (or returned to) the old session. */
export class TransitionFailedError extends DeribitError {
  override name = 'TransitionFailedError'
  /** Which transition failed (e.g. `'refresh'`, `'exchange'`, `'fork'`, `'switch'`). */
  readonly transition: string
  constructor(transition: string, message: string, options: DeribitErrorOptions = {}) {
    super('TRANSITION_FAILED', message, options)
    this.transition = transition
  }
}

/** The client was closed; no further calls are possible. */
export class ClientClosedError extends DeribitError {
  override name = 'ClientClosedError'
  constructor(message = 'The client is closed', options: DeribitErrorOptions = {}) {
    super('CLOSED', message, options)
  }
}

/** A frame broke the protocol (not JSON-RPC, oversized, hostile keys); it was dropped. */
export class ProtocolError extends DeribitError {
  override name = 'ProtocolError'
  constructor(message: string, options: DeribitErrorOptions = {}) {
    super('PROTOCOL', message, options)
  }
}

/** A session store refused or failed an operation. */
export class StoreError extends DeribitError {
  override name = 'StoreError'
  constructor(
    code: 'STORE_CONFLICT' | 'STORE_CORRUPT' | 'STORE_KEY' | 'STORE_UNAVAILABLE',
    message: string,
    options: DeribitErrorOptions = {},
  ) {
    super(code, message, options)
  }
}

/** Exchange codes that mean the credentials or token were not accepted. */
const AUTH_CODES: ReadonlySet<number> = new Set([10000, 13004, 13009])

/** Longest stretch of the exchange's `data.reason` kept in a message. */
const MAX_REASON_CHARS = 200
/** A token-like run (a token, a secret, a signature): never copied from the exchange into a message. */
const TOKEN_LIKE = /[A-Za-z0-9._~+/=-]{32,}/g

/**
 * The exchange's explanation from `error.data` (`{ reason, param }`), made safe for a message:
 * short, and with anything token-like cut out in case the exchange ever echoes a value.
 */
function exchangeReason(data: unknown): string {
  if (typeof data !== 'object' || data === null) return ''
  const { reason, param } = data as { reason?: unknown; param?: unknown }
  const parts = [param, reason].filter((part): part is string => typeof part === 'string' && part !== '')
  if (parts.length === 0) return ''
  return `: ${parts.join(' ').slice(0, MAX_REASON_CHARS).replace(TOKEN_LIKE, '[redacted]')}`
}

/**
 * Maps an exchange error object to the narrowest class. The method name, the exchange's message
 * and its `data.reason`/`data.param` go into the text, never the call's params (they may hold tokens).
 */
export function errorFromExchange(
  method: string,
  error: { code: number; message: string; data?: unknown },
): DeribitError {
  const message = `${method} failed: ${error.message} (${error.code})${exchangeReason(error.data)}`
  const options = { exchangeCode: error.code, data: error.data, method }
  if (error.code === 10028) return new RateLimitedError(message, options)
  if (AUTH_CODES.has(error.code)) return new AuthError(message, options)
  return new RpcError(message, options)
}
