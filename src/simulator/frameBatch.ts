/**
 * Server-to-client WebSocket text frames (RFC 6455 §5.2: FIN + text opcode, unmasked), many
 * encoded into one buffer. The notification hot path queues frames per connection and writes
 * each tick's frames with one socket write instead of two writes per message through `ws`.
 */

/** Flush at once when this many bytes are queued, so a long synchronous burst stays bounded. */
export const FLUSH_AT_BYTES = 1024 * 1024

function headerSize(length: number): number {
  return length < 126 ? 2 : length < 65_536 ? 4 : 10
}

/** Encodes text frames back to back in one buffer. */
export function encodeTextFrames(frames: readonly string[]): Buffer {
  const lengths = new Array<number>(frames.length)
  let total = 0
  for (let i = 0; i < frames.length; i++) {
    const n = Buffer.byteLength(frames[i]!, 'utf8')
    lengths[i] = n
    total += headerSize(n) + n
  }
  const out = Buffer.allocUnsafe(total)
  let at = 0
  for (let i = 0; i < frames.length; i++) {
    const n = lengths[i]!
    out[at++] = 0x81
    if (n < 126) {
      out[at++] = n
    } else if (n < 65_536) {
      out[at++] = 126
      out.writeUInt16BE(n, at)
      at += 2
    } else {
      out[at++] = 127
      out.writeBigUInt64BE(BigInt(n), at)
      at += 8
    }
    at += out.write(frames[i]!, at, 'utf8')
  }
  return out
}
