import type { RpcErrorObject } from '../protocol/types.js'

/** An incoming frame, classified. Parsing never throws: anything malformed is `'invalid'`. */
export type Frame =
  | { kind: 'response'; id: number | string | null; result?: unknown; error?: RpcErrorObject }
  | { kind: 'notification'; channel: string; data: unknown; label?: string }
  | { kind: 'heartbeat'; type: 'heartbeat' | 'test_request' }
  | { kind: 'invalid'; reason: string }

/** Default size limit of {@link parseFrame}, in bytes (the socket's own default limit). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

// Shared frames: no allocation for heartbeats and rejections.
const HEARTBEAT: Frame = Object.freeze({ kind: 'heartbeat', type: 'heartbeat' })
const TEST_REQUEST: Frame = Object.freeze({ kind: 'heartbeat', type: 'test_request' })
const invalid = (reason: string): Frame => Object.freeze({ kind: 'invalid', reason })
const OVERSIZE = invalid('frame exceeds the size limit')
const NOT_JSON = invalid('not JSON')
const NOT_OBJECT = invalid('not a JSON object')
const HOSTILE_KEY = invalid('forbidden key (__proto__, constructor or prototype)')
const BAD_NOTIFICATION = invalid('subscription notification without a string channel')
const BAD_LABEL = invalid('subscription notification with a non-string label')
const BAD_HEARTBEAT = invalid('heartbeat with an unknown type')
const UNKNOWN_METHOD = invalid('notification with an unknown method')
const BAD_ID = invalid('response id is not a number, string or null')
const RESULT_AND_ERROR = invalid('response has both result and error')
const BAD_ERROR = invalid('response error without a numeric code')
const EMPTY_RESPONSE = invalid('response has neither result nor error')

/**
 * Parses and classifies one text frame. This is the per-frame hot path: one `JSON.parse`, a few
 * type checks, and for a notification exactly one small object. Hostile keys are found by a
 * cheap substring prefilter; only frames that pass it get a full walk.
 */
export function parseFrame(text: string, maxBytes: number = DEFAULT_MAX_FRAME_BYTES): Frame {
  if (typeof text !== 'string') return NOT_JSON
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: only a frame in the ambiguous band needs counting.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes)) {
    return OVERSIZE
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return NOT_JSON
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return NOT_OBJECT
  if (mayHoldHostileKey(text) && holdsHostileKey(value)) return HOSTILE_KEY
  return classify(value as Record<string, unknown>)
}

function classify(message: Record<string, unknown>): Frame {
  const method = message.method
  if (method !== undefined) {
    const params = message.params
    if (method === 'subscription') {
      if (typeof params !== 'object' || params === null) return BAD_NOTIFICATION
      const { channel, data, label } = params as Record<string, unknown>
      if (typeof channel !== 'string') return BAD_NOTIFICATION
      if (label === undefined) return { kind: 'notification', channel, data }
      if (typeof label !== 'string') return BAD_LABEL
      return { kind: 'notification', channel, data, label }
    }
    if (method === 'heartbeat') {
      const type = typeof params === 'object' && params !== null ? (params as Record<string, unknown>).type : undefined
      if (type === 'heartbeat') return HEARTBEAT
      if (type === 'test_request') return TEST_REQUEST
      return BAD_HEARTBEAT
    }
    return UNKNOWN_METHOD
  }
  const rawId = message.id
  if (rawId !== undefined && rawId !== null && typeof rawId !== 'number' && typeof rawId !== 'string') return BAD_ID
  // Deribit answers some unattributable errors (frame too large) with no id at all.
  const id = rawId ?? null
  const result = message.result
  const error = message.error
  if (error !== undefined) {
    if (result !== undefined) return RESULT_AND_ERROR
    if (typeof error !== 'object' || error === null || typeof (error as { code?: unknown }).code !== 'number') {
      return BAD_ERROR
    }
    const object = error as { code: number; message?: unknown; data?: unknown }
    if (typeof object.message === 'string') return { kind: 'response', id, error: object as RpcErrorObject }
    const normalised: RpcErrorObject = { code: object.code, message: '' }
    if (object.data !== undefined) normalised.data = object.data
    return { kind: 'response', id, error: normalised }
  }
  if (result === undefined) return EMPTY_RESPONSE
  return { kind: 'response', id, result }
}

/**
 * Prefilter: a hostile key must appear literally, or be spelt with an escape that JSON.parse
 * decodes. The probes are short and start with letters that are rare in Deribit payloads,
 * because V8 scans for a probe's first character with memchr and builds Boyer-Moore tables for
 * probes of 7+ characters on every call: `proto` covers `__proto__` and `prototype`, `uct`
 * covers `constructor`, and a lone backslash covers every escape. False positives only cost the
 * full walk below. Together the three cost about 90 ns on a 320-byte trade frame (`proto` 50,
 * `uct` 30, the backslash 15; JSON.parse of it is about 1.5 µs). `uct` stays: a bare
 * `constructor` key cannot reach Object.prototype, but a naive deep merge follows it into the
 * Object constructor and overwrites its statics (test/rpc/frame.test.ts shows both).
 */
function mayHoldHostileKey(text: string): boolean {
  return text.indexOf('\\') !== -1 || text.indexOf('proto') !== -1 || text.indexOf('uct') !== -1
}

/** Iterative walk (no recursion limit) over every own key at every depth. */
function holdsHostileKey(root: object): boolean {
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null) continue
    if (Array.isArray(node)) {
      for (const item of node) if (typeof item === 'object' && item !== null) stack.push(item)
      continue
    }
    for (const key of Object.keys(node)) {
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') return true
      const child = (node as Record<string, unknown>)[key]
      if (typeof child === 'object' && child !== null) stack.push(child)
    }
  }
  return false
}
