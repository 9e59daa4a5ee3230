import type { RpcErrorObject } from '../protocol/types.js'

/** An incoming frame, classified. Parsing never throws: anything malformed is `'invalid'`. */
export type Frame =
  | { kind: 'response'; id: number | string | null; result?: unknown; error?: RpcErrorObject }
  | { kind: 'notification'; channel: string; data: unknown; label?: string }
  | { kind: 'heartbeat'; type: 'heartbeat' | 'test_request' }
  | { kind: 'invalid'; reason: string }

/** Default size limit of {@link parseFrame}, in bytes (the socket's own default limit). */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024

// Why a frame was dropped: the reason an `'invalid'` frame carries.
const OVERSIZE = 'frame exceeds the size limit'
const NOT_JSON = 'not JSON'
const NOT_OBJECT = 'not a JSON object'
const HOSTILE_KEY = 'forbidden key (__proto__, constructor or prototype)'
const BAD_NOTIFICATION = 'subscription notification without a string channel'
const BAD_LABEL = 'subscription notification with a non-string label'
const BAD_HEARTBEAT = 'heartbeat with an unknown type'
const UNKNOWN_METHOD = 'notification with an unknown method'
const BAD_ID = 'response id is not a number, string or null'
const RESULT_AND_ERROR = 'response has both result and error'
const BAD_ERROR = 'response error without a numeric code'
const EMPTY_RESPONSE = 'response has neither result nor error'

/**
 * Receives one classified frame from {@link readFrame}: exactly one method is called per frame,
 * and what it returns is what `readFrame` returns. `context` is whatever the caller passed to
 * `readFrame` (the RPC client passes the socket epoch), so a sink needs no closure per frame.
 */
export interface FrameSink<C, R = void> {
  notification(channel: string, data: unknown, label: string | undefined, context: C): R
  response(id: number | string | null, result: unknown, error: RpcErrorObject | undefined, context: C): R
  heartbeat(type: 'heartbeat' | 'test_request', context: C): R
  invalid(reason: string, context: C): R
}

/**
 * Parses and classifies one text frame and hands the parts to `sink`. This is the per-frame hot
 * path: one `JSON.parse` and a few type checks. A notification in Deribit's fixed form parses
 * its data alone, so besides what the sink is handed (the data and a slice for the channel name)
 * the only allocation is the slice of text that parse reads, where a full parse would build the
 * envelope's two objects. Never throws (unless the sink does): anything malformed goes to
 * `sink.invalid`. Hostile keys are found by a cheap substring prefilter; only frames that pass
 * it get a full walk.
 */
export function readFrame<C, R>(text: string, maxBytes: number, sink: FrameSink<C, R>, context: C): R {
  if (typeof text !== 'string') return sink.invalid(NOT_JSON, context)
  // A UTF-16 unit is 1 to 3 UTF-8 bytes: only a frame in the ambiguous band needs counting.
  if (text.length > maxBytes || (text.length * 3 > maxBytes && Buffer.byteLength(text, 'utf8') > maxBytes)) {
    return sink.invalid(OVERSIZE, context)
  }
  const channelEnd = notificationChannelEnd(text)
  if (channelEnd !== -1) {
    // Only the data is parsed; the envelope around it was matched character by character.
    const dataText = text.slice(channelEnd + DATA_KEY.length, text.length - 2)
    if (!mayNameHostileKey(dataText)) {
      let data: unknown
      let parsed = true
      try {
        data = JSON.parse(dataText)
      } catch {
        parsed = false // the full parse below decides what is wrong with the frame
      }
      if (parsed) return sink.notification(text.slice(NOTIFICATION_HEAD.length, channelEnd), data, undefined, context)
    }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return sink.invalid(NOT_JSON, context)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return sink.invalid(NOT_OBJECT, context)
  if (mayHoldHostileKey(text) && holdsHostileKey(value)) return sink.invalid(HOSTILE_KEY, context)
  const message = value as Record<string, unknown>
  const method = message.method
  if (method !== undefined) {
    const params = message.params
    if (method === 'subscription') {
      if (typeof params !== 'object' || params === null) return sink.invalid(BAD_NOTIFICATION, context)
      const { channel, data, label } = params as Record<string, unknown>
      if (typeof channel !== 'string') return sink.invalid(BAD_NOTIFICATION, context)
      if (label !== undefined && typeof label !== 'string') return sink.invalid(BAD_LABEL, context)
      return sink.notification(channel, data, label, context)
    }
    if (method === 'heartbeat') {
      const type = typeof params === 'object' && params !== null ? (params as Record<string, unknown>).type : undefined
      if (type === 'heartbeat' || type === 'test_request') return sink.heartbeat(type, context)
      return sink.invalid(BAD_HEARTBEAT, context)
    }
    return sink.invalid(UNKNOWN_METHOD, context)
  }
  const rawId = message.id
  if (rawId !== undefined && rawId !== null && typeof rawId !== 'number' && typeof rawId !== 'string') {
    return sink.invalid(BAD_ID, context)
  }
  // Deribit answers some unattributable errors (frame too large) with no id at all.
  const id = rawId ?? null
  const result = message.result
  const error = message.error
  if (error !== undefined) {
    if (result !== undefined) return sink.invalid(RESULT_AND_ERROR, context)
    if (typeof error !== 'object' || error === null || typeof (error as { code?: unknown }).code !== 'number') {
      return sink.invalid(BAD_ERROR, context)
    }
    const object = error as { code: number; message?: unknown; data?: unknown }
    if (typeof object.message === 'string') return sink.response(id, undefined, object as RpcErrorObject, context)
    const normalised: RpcErrorObject = { code: object.code, message: '' }
    if (object.data !== undefined) normalised.data = object.data
    return sink.response(id, undefined, normalised, context)
  }
  if (result === undefined) return sink.invalid(EMPTY_RESPONSE, context)
  return sink.response(id, result, undefined, context)
}

const TO_FRAME: FrameSink<undefined, Frame> = {
  notification: (channel, data, label) =>
    label === undefined ? { kind: 'notification', channel, data } : { kind: 'notification', channel, data, label },
  response: (id, result, error) =>
    error === undefined ? { kind: 'response', id, result } : { kind: 'response', id, error },
  heartbeat: (type) => ({ kind: 'heartbeat', type }),
  invalid: (reason) => ({ kind: 'invalid', reason }),
}

/**
 * {@link readFrame} with the result as one object: for tools and tests, where an allocation per
 * frame does not matter. Never throws.
 */
export function parseFrame(text: string, maxBytes: number = DEFAULT_MAX_FRAME_BYTES): Frame {
  return readFrame(text, maxBytes, TO_FRAME, undefined)
}

/**
 * Prefilter: a hostile key must appear literally, or be spelt with an escape that JSON.parse
 * decodes. The probes are short and start with letters that are rare in Deribit payloads,
 * because V8 scans for a probe's first character with memchr and builds Boyer-Moore tables for
 * probes of 7+ characters on every call: `proto` covers `__proto__` and `prototype`, `uct`
 * covers `constructor`, and a lone backslash covers every escape. False positives only cost the
 * full walk below. Together the three cost 60–75 ns on a 320-byte trade frame in a loop and
 * about 150 ns in place (2–4 % of a frame; JSON.parse of it is about 1.4 µs); running them
 * before the parse measured no cheaper (bench/README.md). A notification in Deribit's fixed
 * form is probed for `proto` and `uct` in its data only: its envelope was matched exactly and
 * the backslash scan was already done there. `uct` stays: a bare `constructor` key cannot
 * reach Object.prototype, but a naive deep merge follows it into the Object constructor and
 * overwrites its statics (test/rpc/frame.test.ts shows both).
 */
function mayHoldHostileKey(text: string): boolean {
  return text.indexOf('\\') !== -1 || mayNameHostileKey(text)
}

/** The literal half of {@link mayHoldHostileKey}, for text already known to hold no escape. */
function mayNameHostileKey(text: string): boolean {
  return text.indexOf('proto') !== -1 || text.indexOf('uct') !== -1
}

/**
 * A notification exactly as Deribit (and the simulator) write one, up to its channel's first
 * character: `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"NAME","data":DATA}}`.
 */
const NOTIFICATION_HEAD = '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"'
const DATA_KEY = '","data":'
const CLOSE_BRACE = 125

/**
 * Where the channel name of a notification in the fixed form above ends, or -1 when the frame
 * is in any other form (a label, other keys or key order, whitespace, any escape anywhere).
 * For such a frame, parsing the DATA text alone gives exactly what parsing the whole frame
 * would: the envelope cannot hide a duplicate key, a hostile key or a second value, and the
 * name holds no quote, escape or control character. Skipping the envelope saves about a tenth
 * of the parse (the envelope is five keys and three strings around a trade's ten), which is
 * more than the hostile-key probes cost (bench/README.md). Any other frame takes the full parse.
 */
function notificationChannelEnd(text: string): number {
  if (!text.startsWith(NOTIFICATION_HEAD)) return -1
  const end = text.indexOf('"', NOTIFICATION_HEAD.length)
  const last = text.length - 1
  if (end === -1 || !text.startsWith(DATA_KEY, end)) return -1
  if (text.charCodeAt(last) !== CLOSE_BRACE || text.charCodeAt(last - 1) !== CLOSE_BRACE) return -1
  if (text.indexOf('\\') !== -1) return -1
  for (let i = NOTIFICATION_HEAD.length; i < end; i++) if (text.charCodeAt(i) < 0x20) return -1
  return end
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
