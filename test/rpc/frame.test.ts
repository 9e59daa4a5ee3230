import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { type Frame, type FrameSink, parseFrame, readFrame } from '../../src/rpc/frame.js'

/**
 * The classic naive deep merge that user code (and many libraries) apply to received data: it
 * recurses whenever the target already has something at the key, functions included. It is the
 * attack surface the hostile-key filter exists for.
 */
function naiveMerge(target: Record<string, unknown>, source: unknown): void {
  if (typeof source !== 'object' || source === null) return
  for (const key in source) {
    const value = (source as Record<string, unknown>)[key]
    const existing = target[key]
    if (typeof value === 'object' && value !== null && existing !== undefined && existing !== null) {
      naiveMerge(existing as Record<string, unknown>, value)
    } else {
      target[key] = value
    }
  }
}

/** Own property names of the objects a hostile frame could reach through a merge. */
function reachable(): string[] {
  return [Object.prototype, Object, Function.prototype, Array.prototype].map((o) =>
    Reflect.ownKeys(o).map(String).sort().join(','),
  )
}

/** What a frame hands on: a response's result or error, a notification's data and label. */
function payloadOf(frame: Frame): unknown[] {
  if (frame.kind === 'response') return [frame.result, frame.error]
  if (frame.kind === 'notification') return [frame.data, frame.label]
  return []
}

/** JSON values a few levels deep whose object keys come from `key`. */
function jsonTree(key: fc.Arbitrary<string>): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      fc.jsonValue({ maxDepth: 1 }),
      fc.dictionary(key, tie('node'), { maxKeys: 4 }),
      fc.array(tie('node'), { maxLength: 3 }),
    ),
  })).node
}

/** How Deribit begins every notification, up to the channel name's first character. */
const HEAD = '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"'

const invalid = (text: string, maxBytes?: number): string => {
  const frame = parseFrame(text, maxBytes)
  if (frame.kind !== 'invalid') throw new Error(`expected invalid, got ${frame.kind}`)
  return frame.reason
}

describe('parseFrame', () => {
  it('classifies responses, keeping Deribit extensions out of the way', () => {
    expect(
      parseFrame('{"jsonrpc":"2.0","id":7,"result":{"a":1},"usIn":1,"usOut":2,"usDiff":1,"testnet":true}'),
    ).toEqual({ kind: 'response', id: 7, result: { a: 1 } })
    expect(parseFrame('{"jsonrpc":"2.0","id":"x","result":null}')).toEqual({ kind: 'response', id: 'x', result: null })
    expect(parseFrame('{"jsonrpc":"2.0","id":47,"result":4}')).toEqual({ kind: 'response', id: 47, result: 4 })
  })

  it('classifies error responses, with or without id and data', () => {
    const withData =
      '{"jsonrpc":"2.0","id":1,"error":{"message":"Invalid params","data":{"reason":"invalid format","param":"nonce"},"code":-32602}}'
    expect(parseFrame(withData)).toEqual({
      kind: 'response',
      id: 1,
      error: { message: 'Invalid params', data: { reason: 'invalid format', param: 'nonce' }, code: -32602 },
    })
    // Deribit's "request entity too large" comes without an id.
    expect(parseFrame('{"jsonrpc":"2.0","error":{"code":-32600,"message":"request entity too large"}}')).toEqual({
      kind: 'response',
      id: null,
      error: { code: -32600, message: 'request entity too large' },
    })
    expect(parseFrame('{"id":2,"error":{"code":10028}}')).toEqual({
      kind: 'response',
      id: 2,
      error: { code: 10028, message: '' },
    })
  })

  it('classifies notifications with and without label', () => {
    const plain = parseFrame(
      '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"deribit_price_index.btc_usd","data":{"price":3937.89}}}',
    )
    expect(plain).toEqual({ kind: 'notification', channel: 'deribit_price_index.btc_usd', data: { price: 3937.89 } })
    expect(plain).not.toHaveProperty('label')
    expect(
      parseFrame(
        '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"user.orders.any.any.raw","data":[],"label":"mine"}}',
      ),
    ).toEqual({ kind: 'notification', channel: 'user.orders.any.any.raw', data: [], label: 'mine' })
  })

  it('classifies heartbeats', () => {
    expect(parseFrame('{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}')).toEqual({
      kind: 'heartbeat',
      type: 'heartbeat',
    })
    expect(parseFrame('{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}')).toEqual({
      kind: 'heartbeat',
      type: 'test_request',
    })
  })

  it('rejects every malformed shape with a reason', () => {
    expect(invalid('not json')).toMatch(/not JSON/)
    expect(invalid('')).toMatch(/not JSON/)
    expect(invalid('[1,2]')).toMatch(/not a JSON object/)
    expect(invalid('null')).toMatch(/not a JSON object/)
    expect(invalid('42')).toMatch(/not a JSON object/)
    expect(invalid('"str"')).toMatch(/not a JSON object/)
    expect(invalid('{"id":1,"result":1,"error":{"code":1,"message":"x"}}')).toMatch(/both result and error/)
    expect(invalid('{"id":true,"result":1}')).toMatch(/id/)
    expect(invalid('{"id":{},"result":1}')).toMatch(/id/)
    expect(invalid('{"id":1,"error":{"message":"no code"}}')).toMatch(/numeric code/)
    expect(invalid('{"id":1,"error":{"code":"10028","message":"x"}}')).toMatch(/numeric code/)
    expect(invalid('{"id":1,"error":"boom"}')).toMatch(/numeric code/)
    expect(invalid('{"id":1}')).toMatch(/neither result nor error/)
    expect(invalid('{"method":"subscription","params":{"data":1}}')).toMatch(/channel/)
    expect(invalid('{"method":"subscription","params":{"channel":5,"data":1}}')).toMatch(/channel/)
    expect(invalid('{"method":"subscription","params":"x"}')).toMatch(/channel/)
    expect(invalid('{"method":"subscription","params":{"channel":"a","data":1,"label":3}}')).toMatch(/label/)
    expect(invalid('{"method":"heartbeat","params":{"type":"other"}}')).toMatch(/heartbeat/)
    expect(invalid('{"method":"heartbeat"}')).toMatch(/heartbeat/)
    expect(invalid('{"method":"public/test","params":{}}')).toMatch(/unknown method/)
    expect(invalid('{"method":7}')).toMatch(/unknown method/)
  })

  it('rejects oversized frames, counting UTF-8 bytes', () => {
    const frame = JSON.stringify({ id: 1, result: 'x'.repeat(100) })
    expect(parseFrame(frame, frame.length).kind).toBe('response')
    expect(invalid(frame, frame.length - 1)).toMatch(/size limit/)
    // 40 two-byte characters: 40 UTF-16 units but 80 bytes.
    const wide = JSON.stringify({ id: 1, result: 'é'.repeat(40) })
    expect(invalid(wide, wide.length + 10)).toMatch(/size limit/)
    expect(parseFrame(wide, wide.length + 40).kind).toBe('response')
  })

  it('rejects __proto__, constructor and prototype keys anywhere, even escaped', () => {
    const hostile = [
      '{"id":1,"result":{"__proto__":{"polluted":true}}}',
      '{"__proto__":{"polluted":true},"id":1,"result":1}',
      '{"id":1,"result":[{"a":[{"b":{"__proto__":{"polluted":true}}}]}]}',
      '{"id":1,"result":{"constructor":{"prototype":{"polluted":true}}}}',
      '{"id":1,"result":{"constructor":1}}',
      '{"id":1,"result":{"x":{"prototype":1}}}',
      '{"method":"subscription","params":{"channel":"c","data":{"\\u005f_proto__":{"polluted":true}}}}',
      '{"method":"subscription","params":{"channel":"c","data":{"__pr\\u006fto__":{"polluted":true}}}}',
      '{"method":"subscription","params":{"channel":"c","data":{"c\\u006fnstructor":1}}}',
      // Deribit's exact envelope, which is read without parsing the envelope itself.
      `${HEAD}trades.BTC-PERPETUAL.raw","data":[{"__proto__":{"polluted":true}}]}}`,
      `${HEAD}trades.BTC-PERPETUAL.raw","data":{"a":{"constructor":{"polluted":true}}}}}`,
      `${HEAD}trades.BTC-PERPETUAL.raw","data":[{"\\u005f_proto__":{"polluted":true}}]}}`,
      `${HEAD}c\\u0022","data":{"constructor":1}}}`,
    ]
    for (const text of hostile) expect(invalid(text)).toMatch(/forbidden key/)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.prototype).not.toHaveProperty('polluted')
  })

  it('a bare constructor key is dangerous too: a naive merge reaches Object itself through it', () => {
    // Why the prefilter keeps its `uct` probe (about 30 ns a frame): `constructor` alone cannot
    // reach Object.prototype, but it reaches the Object constructor, whose statics it overwrites.
    const before = reachable()
    naiveMerge({}, JSON.parse('{"constructor":{"benchPolluted":1}}'))
    try {
      expect((Object as unknown as Record<string, unknown>).benchPolluted).toBe(1)
    } finally {
      delete (Object as unknown as Record<string, unknown>).benchPolluted
    }
    expect(reachable()).toEqual(before)
    expect(invalid('{"id":1,"result":{"constructor":{"benchPolluted":1}}}')).toMatch(/forbidden key/)
  })

  it('whatever a frame holds, merging what parseFrame hands on leaves the prototypes and Object untouched', () => {
    const before = reachable()
    const payloads = [
      '{"__proto__":{"polluted":1}}',
      '{"constructor":{"prototype":{"polluted":1}}}',
      '{"constructor":{"polluted":1}}',
      '{"prototype":{"polluted":1}}',
      '{"a":[{"b":{"__proto__":{"polluted":1}}}]}',
      '{"\\u005f_proto__":{"polluted":1}}',
      '{"__pr\\u006fto__":{"polluted":1}}',
      '{"c\\u006fnstructor":{"polluted":1}}',
      '{"constructo\\u0072":{"prototype":{"polluted":1}}}',
      '{"pr\\u006ftotype":{"polluted":1}}',
      '[{"constructor":{"polluted":1}}]',
    ]
    const frames = payloads.flatMap((p) => [
      `{"jsonrpc":"2.0","id":1,"result":${p}}`,
      `{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"x","data":${p}}}`,
      `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"c","data":${p}}}`,
      `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"c","data":1},"x":${p}}`,
    ])
    for (const text of frames) {
      const frame = parseFrame(text)
      expect(frame.kind, text).toBe('invalid')
      for (const payload of payloadOf(frame)) naiveMerge({}, payload)
    }
    // Generated frames with the hostile keys anywhere: whatever is accepted is harmless.
    const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted'), fc.string())
    const node = jsonTree(key)
    fc.assert(
      fc.property(node, fc.boolean(), (value, asNotification) => {
        const body = JSON.stringify(value) ?? 'null'
        const text = asNotification ? `${HEAD}c","data":${body}}}` : `{"id":1,"result":${body}}`
        for (const payload of payloadOf(parseFrame(text))) naiveMerge({}, payload)
        return reachable().every((names, i) => names === before[i])
      }),
      { numRuns: 3_000 },
    )
    expect(reachable()).toEqual(before)
  })

  it('accepts the forbidden words as values, and escapes that spell something else', () => {
    expect(parseFrame('{"id":1,"result":"__proto__ constructor prototype"}')).toEqual({
      kind: 'response',
      id: 1,
      result: '__proto__ constructor prototype',
    })
    expect(parseFrame('{"id":1,"result":{"product":"\\u00e9\\n"}}')).toEqual({
      kind: 'response',
      id: 1,
      result: { product: 'é\n' },
    })
  })

  it('never throws, whatever the input', () => {
    const kinds = new Set<Frame['kind']>(['response', 'notification', 'heartbeat', 'invalid'])
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (text) => kinds.has(parseFrame(text).kind)),
      { numRuns: 2_000 },
    )
    fc.assert(
      fc.property(fc.jsonValue(), (value) => kinds.has(parseFrame(JSON.stringify(value) ?? 'null').kind)),
      { numRuns: 2_000 },
    )
    // Envelopes with arbitrary parts, including hostile keys in arbitrary places.
    const key = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'result', 'error'), fc.string())
    const value = jsonTree(key)
    const envelope = fc.record(
      {
        jsonrpc: fc.constant('2.0'),
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.boolean()),
        method: fc.constantFrom('subscription', 'heartbeat', 'x'),
        params: fc.record({ channel: value, data: value, label: value, type: value }, { requiredKeys: [] }),
        result: value,
        error: fc.record({ code: value, message: value, data: value }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    )
    fc.assert(
      fc.property(envelope, (message) => kinds.has(parseFrame(JSON.stringify(message)).kind)),
      { numRuns: 2_000 },
    )
    expect(Object.prototype).not.toHaveProperty('polluted')
  })
})

describe("parseFrame of notifications in Deribit's exact form", () => {
  // A leading space is valid JSON whitespace but sends the frame down the full parse, so the
  // two must always agree: the shortcut for the exact form may never accept, reject or read a
  // frame differently.
  const viaFullParse = (text: string): Frame => parseFrame(` ${text}`)

  it('reads the channel and data of real notifications', () => {
    const data = [{ trade_seq: 1, price: 95000.5, instrument_name: 'BTC-PERPETUAL' }]
    const text = `${HEAD}trades.BTC-PERPETUAL.raw","data":${JSON.stringify(data)}}}`
    expect(parseFrame(text)).toEqual({ kind: 'notification', channel: 'trades.BTC-PERPETUAL.raw', data })
    expect(parseFrame(text)).toEqual(viaFullParse(text))
  })

  it('agrees with the full parse on frames that look like the exact form but are not', () => {
    const cases = [
      `${HEAD}c","data":1}`, // one brace short
      `${HEAD}c","data":1}}}`, // one too many
      `${HEAD}c","data":1}} `,
      `${HEAD}c","data":}}`,
      `${HEAD}","data":[]}}`, // empty channel name
      `${HEAD}c","data":1,"x":2}}`, // another key after data
      `${HEAD}c","data":1},"x":{"y":2}}`, // data parses alone only with the envelope's braces
      `${HEAD}c","data":{"a":1}}},"x":{}}`,
      `${HEAD}c\\u0022","data":1}}`, // an escaped quote in the name
      `${HEAD}c\\","data":1}}`,
      `${HEAD}c\\"","data":1}}`,
      `${HEAD}c\\n","data":1}}`,
      `${HEAD}c\n","data":1}}`, // a raw control character is not JSON
      `${HEAD}c\t","data":1}}`,
      `${HEAD}c","label":"l","data":1}}`,
      `${HEAD}c","data":{"__proto__":1}}}`,
      `${HEAD}c","data":"a\\u0022b"}}`,
      `${HEAD}c","data":"}}`,
      `${HEAD}c","data":"x"}}`,
      `${HEAD}c","data": [1] }}`,
    ]
    for (const text of cases) expect(parseFrame(text), text).toEqual(viaFullParse(text))
    expect(parseFrame(`${HEAD}c\n","data":1}}`).kind).toBe('invalid')
    expect(parseFrame(`${HEAD}c","data":1},"x":{"y":2}}`)).toMatchObject({ kind: 'notification', data: 1 })
  })

  it('agrees with the full parse on generated frames', () => {
    const piece = fc.constantFrom(
      '"',
      '\\',
      '}',
      '{',
      ',',
      ':',
      ' ',
      '\n',
      '"data":',
      '","data":',
      'proto',
      'constructor',
      'u',
    )
    const name = fc.array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 6 }).map((a) => a.join(''))
    const data = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
      jsonTree(fc.constantFrom('__proto__', 'constructor', 'prototype', 'a')).map((v) => JSON.stringify(v) ?? 'null'),
      fc.array(fc.oneof(piece, fc.string({ maxLength: 4 })), { maxLength: 6 }).map((a) => a.join('')),
    )
    const tail = fc.constantFrom('}}', '}', '}}}', '} }', ',"x":1}}', '}},"y":{}}')
    fc.assert(
      fc.property(name, data, tail, (n, d, t) => {
        const text = `${HEAD}${n}","data":${d}${t}`
        expect(parseFrame(text)).toEqual(viaFullParse(text))
      }),
      { numRuns: 5_000 },
    )
    expect(Object.prototype).not.toHaveProperty('polluted')
  })
})

describe('readFrame', () => {
  it('calls exactly one sink method per frame, with the parts and the caller context', () => {
    const calls: unknown[][] = []
    const sink: FrameSink<number> = {
      notification: (...args) => calls.push(['notification', ...args]),
      response: (...args) => calls.push(['response', ...args]),
      heartbeat: (...args) => calls.push(['heartbeat', ...args]),
      invalid: (...args) => calls.push(['invalid', ...args]),
    }
    const data = [{ trade_seq: 1, price: 95000.5 }]
    readFrame(
      JSON.stringify({ method: 'subscription', params: { channel: 'trades.BTC-PERPETUAL.raw', data } }),
      1e6,
      sink,
      7,
    )
    readFrame('{"jsonrpc":"2.0","id":3,"result":"ok"}', 1e6, sink, 8)
    readFrame('{"jsonrpc":"2.0","id":4,"error":{"code":10028,"message":"too_many_requests"}}', 1e6, sink, 9)
    readFrame('{"method":"heartbeat","params":{"type":"test_request"}}', 1e6, sink, 10)
    readFrame('{"a":{"__proto__":{"x":1}}}', 1e6, sink, 11)
    readFrame('not json', 1e6, sink, 12)
    expect(calls).toEqual([
      ['notification', 'trades.BTC-PERPETUAL.raw', data, undefined, 7],
      ['response', 3, 'ok', undefined, 8],
      ['response', 4, undefined, { code: 10028, message: 'too_many_requests' }, 9],
      ['heartbeat', 'test_request', 10],
      ['invalid', 'forbidden key (__proto__, constructor or prototype)', 11],
      ['invalid', 'not JSON', 12],
    ])
  })
})
