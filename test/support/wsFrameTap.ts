/**
 * A passive WebSocket frame reader for one direction of a TCP stream (RFC 6455 §5.2): it sees the
 * same bytes the peer will read, split however TCP split them, and reports each complete message
 * unmasked, with the offset in the current chunk where its last frame ends. The fault proxy uses
 * it to cut a connection exactly after a given request reached the server, which a byte predicate
 * cannot do because client→server frames are masked.
 */

/** Opcodes by name; `unknown` for reserved opcodes. */
export type WsMessageKind = 'text' | 'binary' | 'close' | 'ping' | 'pong' | 'unknown'

/** One message as the receiving side will see it: unmasked, continuation frames joined. */
export interface WsMessage {
  kind: WsMessageKind
  /** The opcode of the message's first frame. */
  opcode: number
  /** The payload, unmasked. Compressed (permessage-deflate) payloads are left compressed. */
  data: Buffer
  /** RSV1 was set on the first frame: the payload is deflated and `data` is not the text. */
  compressed: boolean
}

/** A message completed by a pushed chunk. */
export interface TappedMessage {
  message: WsMessage
  /** Offset in the pushed chunk just past the message's last frame (0 … chunk.length). */
  end: number
}

/** Options of {@link WsFrameTap}. */
export interface WsFrameTapOptions {
  /**
   * The stream starts with an HTTP upgrade request (client → server) or response (server →
   * client), skipped up to its blank line. @default true
   */
  httpPreamble?: boolean
  /** Largest frame payload the tap reassembles; a larger one stops the tap. @default 64 MiB */
  maxPayloadBytes?: number
}

/** @default 64 MiB */
export const DEFAULT_TAP_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024
/** An HTTP head longer than this is not a WebSocket upgrade; the tap stops. */
const MAX_PREAMBLE_BYTES = 64 * 1024
const HEADER_END = Buffer.from('\r\n\r\n')

const KINDS: Readonly<Record<number, WsMessageKind>> = { 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' }

/** Reads frames incrementally; never throws on garbage (it stops tapping instead, see {@link broken}). */
export class WsFrameTap {
  /** Unconsumed bytes, oldest first, and their total length. */
  #pending: Buffer[] = []
  #pendingBytes = 0
  #inPreamble: boolean
  #broken = false
  /** Bytes the frame at the head of `#pending` needs in all; no parsing until they are there. */
  #needBytes = 0
  readonly #maxPayloadBytes: number
  /** A data message whose final frame has not arrived yet. */
  #fragments: { opcode: number; compressed: boolean; parts: Buffer[] } | undefined

  constructor(options: WsFrameTapOptions = {}) {
    this.#inPreamble = options.httpPreamble ?? true
    this.#maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_TAP_MAX_PAYLOAD_BYTES
  }

  /** The stream was not WebSocket as expected (or too large); later pushes report nothing. */
  get broken(): boolean {
    return this.#broken
  }

  /** Feeds the next chunk of the stream; returns the messages it completes, in order. */
  push(chunk: Buffer): TappedMessage[] {
    if (this.#broken || chunk.length === 0) return []
    this.#pending.push(chunk)
    this.#pendingBytes += chunk.length
    // Offsets are reported relative to this chunk: bytes before it are `#pendingBytes - chunk.length`.
    const before = this.#pendingBytes - chunk.length
    const out: TappedMessage[] = []
    if (this.#pendingBytes < this.#needBytes) return out
    let consumed = 0
    let buf = this.#joined()
    if (this.#inPreamble) {
      const at = buf.indexOf(HEADER_END)
      if (at < 0) {
        if (buf.length > MAX_PREAMBLE_BYTES) this.#stop()
        return out
      }
      this.#inPreamble = false
      consumed = at + HEADER_END.length
    }
    for (;;) {
      const frame = readFrame(buf, consumed, this.#maxPayloadBytes)
      if (typeof frame === 'number') {
        this.#needBytes = frame
        break
      }
      if (frame === 'invalid') {
        this.#stop()
        return out
      }
      consumed = frame.end
      const message = this.#assemble(frame)
      if (message !== undefined) out.push({ message, end: frame.end - before })
    }
    buf = buf.subarray(consumed)
    this.#pending = buf.length === 0 ? [] : [buf]
    this.#pendingBytes = buf.length
    return out
  }

  #joined(): Buffer {
    if (this.#pending.length === 1) return this.#pending[0]!
    const joined = Buffer.concat(this.#pending, this.#pendingBytes)
    this.#pending = [joined]
    return joined
  }

  #stop(): void {
    this.#broken = true
    this.#pending = []
    this.#pendingBytes = 0
    this.#fragments = undefined
  }

  #assemble(frame: Frame): WsMessage | undefined {
    if (frame.opcode >= 8) return message(frame.opcode, frame.rsv1, frame.payload)
    if (frame.opcode === 0) {
      // A continuation with nothing to continue: the stream is not what we think; skip it.
      if (this.#fragments === undefined) return undefined
      this.#fragments.parts.push(frame.payload)
      if (!frame.fin) return undefined
      const f = this.#fragments
      this.#fragments = undefined
      return message(f.opcode, f.compressed, Buffer.concat(f.parts))
    }
    if (frame.fin) return message(frame.opcode, frame.rsv1, frame.payload)
    this.#fragments = { opcode: frame.opcode, compressed: frame.rsv1, parts: [frame.payload] }
    return undefined
  }
}

function message(opcode: number, compressed: boolean, data: Buffer): WsMessage {
  return { kind: KINDS[opcode] ?? 'unknown', opcode, data, compressed }
}

interface Frame {
  fin: boolean
  rsv1: boolean
  opcode: number
  payload: Buffer
  /** Offset just past the frame in the buffer it was read from. */
  end: number
}

/**
 * Reads one frame at `at`: FIN/RSV1/opcode, MASK and 7/16/64-bit length, then the (unmasked)
 * payload. Incomplete: how many bytes from `at` the frame needs (a lower bound while the header
 * itself is incomplete).
 */
function readFrame(buf: Buffer, at: number, maxPayloadBytes: number): Frame | number | 'invalid' {
  if (buf.length - at < 2) return 2
  const b0 = buf[at]!
  const b1 = buf[at + 1]!
  const masked = (b1 & 0x80) !== 0
  let length = b1 & 0x7f
  let offset = at + 2
  if (length === 126) {
    if (buf.length - offset < 2) return 4
    length = buf.readUInt16BE(offset)
    offset += 2
  } else if (length === 127) {
    if (buf.length - offset < 8) return 10
    const big = buf.readBigUInt64BE(offset)
    if (big > BigInt(maxPayloadBytes)) return 'invalid'
    length = Number(big)
    offset += 8
  }
  if (length > maxPayloadBytes) return 'invalid'
  const maskAt = offset
  if (masked) offset += 4
  if (buf.length - offset < length) return offset - at + length
  // A copy, so unmasking never touches the bytes being forwarded.
  const payload = Buffer.from(buf.subarray(offset, offset + length))
  if (masked) {
    for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ buf[maskAt + (i & 3)]!
  }
  return { fin: (b0 & 0x80) !== 0, rsv1: (b0 & 0x40) !== 0, opcode: b0 & 0x0f, payload, end: offset + length }
}
