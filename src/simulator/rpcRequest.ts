import { JSONRPC_ERRORS, MAX_REQUEST_BYTES } from '../protocol/errorCodes.js'
import type { RpcErrorObject } from '../protocol/types.js'
import type { EchoId } from './envelope.js'

/** A request that passed the envelope checks. */
export interface ParsedRequest {
  ok: true
  id: number | string
  method: string
  params: Record<string, unknown>
}

/** A frame rejected before dispatch, with the id to echo. */
export interface RejectedFrame {
  ok: false
  id: EchoId
  error: RpcErrorObject
}

const BAD_REQUEST: RpcErrorObject = { code: 11050, message: 'bad_request' }

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Checks a text frame: over 32 kB → -32600 with no id; unparseable → -32700 with
 * id null; not a request object (arrays: no batches) → 11050 with id null; a method that is not
 * a string → -32601; params that are not an object → -32602.
 */
export function parseFrame(text: string): ParsedRequest | RejectedFrame {
  if (Buffer.byteLength(text, 'utf8') > MAX_REQUEST_BYTES) {
    return { ok: false, id: undefined, error: { ...JSONRPC_ERRORS.entityTooLarge } }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { ok: false, id: null, error: { ...JSONRPC_ERRORS.parseError } }
  }
  return checkRequest(value)
}

/** The envelope checks on an already parsed value (HTTP POST bodies). */
export function checkRequest(value: unknown): ParsedRequest | RejectedFrame {
  if (!isRecord(value)) return { ok: false, id: null, error: BAD_REQUEST }
  const id = value.id
  if (typeof id !== 'number' && typeof id !== 'string') {
    return { ok: false, id: null, error: { ...BAD_REQUEST, data: { reason: 'missing or invalid id', param: 'id' } } }
  }
  if (typeof value.method !== 'string') return { ok: false, id, error: { ...JSONRPC_ERRORS.methodNotFound } }
  const params = value.params ?? {}
  if (!isRecord(params)) {
    return {
      ok: false,
      id,
      error: { ...JSONRPC_ERRORS.invalidParams, data: { reason: 'must be an object', param: 'params' } },
    }
  }
  return { ok: true, id, method: value.method, params }
}
