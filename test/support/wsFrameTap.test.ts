import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { WsFrameTap } from './wsFrameTap.js'

/** An independent RFC 6455 frame encoder (client side: masked). */
function frame(opcode: number, payload: Buffer, { fin = true, mask = true } = {}): Buffer {
  const len = payload.length
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10)
  head[0] = (fin ? 0x80 : 0) | opcode
  if (len < 126) head[1] = len
  else if (len < 65536) {
    head[1] = 126
    head.writeUInt16BE(len, 2)
  } else {
    head[1] = 127
    head.writeBigUInt64BE(BigInt(len), 2)
  }
  if (!mask) return Buffer.concat([head, payload])
  head[1]! |= 0x80
  const key = randomBytes(4)
  const body = Buffer.from(payload)
  for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ key[i & 3]!
  return Buffer.concat([head, key, body])
}

const UPGRADE = Buffer.from('GET /ws/api/v2 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n')

/** Feeds `stream` cut at `cuts` and returns every message with its absolute end offset. */
function feed(stream: Buffer, cuts: number[]): Array<{ kind: string; text: string; endAbs: number }> {
  const tap = new WsFrameTap()
  const out: Array<{ kind: string; text: string; endAbs: number }> = []
  let at = 0
  for (const cut of [...cuts, stream.length]) {
    const chunk = stream.subarray(at, cut)
    for (const t of tap.push(chunk))
      out.push({ kind: t.message.kind, text: t.message.data.toString(), endAbs: at + t.end })
    at = cut
  }
  return out
}

describe('WsFrameTap', () => {
  const big16 = 'x'.repeat(300)
  const big64 = 'y'.repeat(70_000)
  const parts = [
    UPGRADE,
    frame(1, Buffer.from('hello')),
    frame(1, Buffer.from(big16)),
    frame(2, Buffer.from(big64)),
    // A fragmented text message with a ping between its frames.
    frame(1, Buffer.from('{"method":"priv'), { fin: false }),
    frame(9, Buffer.from('p')),
    frame(0, Buffer.from('ate/buy"}')),
    frame(1, Buffer.alloc(0)),
  ]
  const stream = Buffer.concat(parts)
  const ends: number[] = []
  parts.reduce((sum, p) => {
    ends.push(sum + p.length)
    return sum + p.length
  }, 0)
  const expected = [
    { kind: 'text', text: 'hello', endAbs: ends[1] },
    { kind: 'text', text: big16, endAbs: ends[2] },
    { kind: 'binary', text: big64, endAbs: ends[3] },
    { kind: 'ping', text: 'p', endAbs: ends[5] },
    { kind: 'text', text: '{"method":"private/buy"}', endAbs: ends[6] },
    { kind: 'text', text: '', endAbs: ends[7] },
  ]

  it('unmasks 7/16/64-bit frames, joins fragments and reports where each message ends', () => {
    expect(feed(stream, [])).toEqual(expected)
  })

  it('gives the same messages however TCP splits the stream', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 40 }), (cuts) => {
        expect(
          feed(
            stream,
            cuts.sort((a, b) => a - b),
          ),
        ).toEqual(expected)
      }),
      { numRuns: 200 },
    )
  })

  it('splits byte by byte across the header and the length fields', () => {
    const small = Buffer.concat([UPGRADE, frame(1, Buffer.from(big16)), frame(1, Buffer.from('ok'))])
    const cuts = Array.from({ length: small.length - 1 }, (_, i) => i + 1)
    expect(feed(small, cuts).map((m) => m.text)).toEqual([big16, 'ok'])
  })

  it('reads unmasked (server → client) frames too', () => {
    const s = Buffer.concat([
      Buffer.from('HTTP/1.1 101 Switching Protocols\r\n\r\n'),
      frame(1, Buffer.from('hi'), { mask: false }),
    ])
    expect(feed(s, [3, 40]).map((m) => m.text)).toEqual(['hi'])
  })

  it('stops tapping (without throwing) on a frame larger than its limit', () => {
    const tap = new WsFrameTap({ httpPreamble: false, maxPayloadBytes: 10 })
    expect(tap.push(frame(1, Buffer.from('x'.repeat(20))))).toEqual([])
    expect(tap.broken).toBe(true)
    expect(tap.push(frame(1, Buffer.from('ok')))).toEqual([])
  })
})
