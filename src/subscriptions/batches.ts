import { DeribitError } from '../errors.js'
import { MAX_REQUEST_BYTES } from '../protocol/errorCodes.js'

/** Most channels per subscribe request (a known-good split; Deribit documents no count limit). */
export const DEFAULT_MAX_CHANNELS_PER_BATCH = 250
/**
 * Bytes a (un)subscribe request spends around its JSON array of channel names: the envelope
 * the RPC layer writes, `{"jsonrpc":"2.0","id":N,"method":M,"params":{"channels":[...]}}` less
 * the array, sized for the longest method name and the widest id (a safe integer's 16 digits),
 * so the figure holds for every request the client can write.
 */
export const SUBSCRIBE_ENVELOPE_BYTES =
  JSON.stringify({
    jsonrpc: '2.0',
    id: Number.MAX_SAFE_INTEGER,
    method: ['public/subscribe', 'private/subscribe', 'public/unsubscribe', 'private/unsubscribe'].reduce((a, b) =>
      b.length > a.length ? b : a,
    ),
    params: { channels: [] },
  }).length - 2

/**
 * Most bytes of the JSON array of channel names per request: the 32 kB frame limit less the
 * envelope, so a resubscription fills every frame and needs the fewest requests (and credits).
 */
export const DEFAULT_MAX_BATCH_BYTES = MAX_REQUEST_BYTES - SUBSCRIBE_ENVELOPE_BYTES

/** Options of {@link chunkChannels}. */
export interface ChunkOptions {
  /** @default DEFAULT_MAX_CHANNELS_PER_BATCH */
  maxPerBatch?: number
  /** Bytes of the JSON array of names. @default DEFAULT_MAX_BATCH_BYTES */
  maxBytes?: number
}

/**
 * Splits channels into subscribe requests that stay under Deribit's 32 kB frame limit.
 * Order is kept. Size counts each name as JSON (quotes, escapes,
 * UTF-8) plus its comma, and the brackets. A single name too long for any batch throws
 * INVALID_ARGUMENT: the exchange would refuse its frame anyway.
 */
export function chunkChannels(channels: readonly string[], options: ChunkOptions = {}): string[][] {
  const maxPerBatch = Math.max(1, options.maxPerBatch ?? DEFAULT_MAX_CHANNELS_PER_BATCH)
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BATCH_BYTES
  if (channels.length === 0) return []
  // The whole list is sized at once, not name by name: a transition re-subscribes hundreds of
  // names, once and cold (a per-name regex measured slowest there). `json` is the exact request
  // array; when it has no escape and is all ASCII, every name costs its length plus its quotes.
  const json = JSON.stringify(channels)
  const total = Buffer.byteLength(json, 'utf8')
  if (channels.length <= maxPerBatch && total <= maxBytes) return [channels.slice()]
  const plain = total === json.length && json.length === channels.join('').length + 3 * channels.length + 1
  const batches: string[][] = []
  let batch: string[] = []
  let bytes = 2 // "[]"
  for (const channel of channels) {
    const size = plain ? channel.length + 2 : jsonBytes(channel)
    if (size + 2 > maxBytes) {
      throw new DeribitError('INVALID_ARGUMENT', `Channel name of ${size} bytes cannot fit in a subscribe request`)
    }
    const added = batch.length === 0 ? size : size + 1
    if (batch.length >= maxPerBatch || bytes + added > maxBytes) {
      batches.push(batch)
      batch = []
      bytes = 2
    }
    batch.push(channel)
    bytes += batch.length === 1 ? size : size + 1
  }
  if (batch.length > 0) batches.push(batch)
  return batches
}

/**
 * {@link chunkChannels} that remembers its last answer. A reconnect sends the same desired list
 * as the one before it; with 10,000 channels, sizing it again (a 300 kB JSON string and its byte
 * count) was the largest piece of the client's work before the first subscribe frame.
 */
export class ChannelChunker {
  readonly #options: ChunkOptions
  #lastInput: readonly string[] = []
  #lastBatches: ReadonlyArray<readonly string[]> = []

  constructor(options: ChunkOptions = {}) {
    this.#options = options
  }

  /** The batches of `channels`, the same (frozen) arrays as last time when the list is unchanged. */
  chunk(channels: readonly string[]): ReadonlyArray<readonly string[]> {
    if (channels.length > 0 && sameList(channels, this.#lastInput)) return this.#lastBatches
    const batches = chunkChannels(channels, this.#options).map((batch) => Object.freeze(batch))
    this.#lastInput = channels.slice()
    this.#lastBatches = Object.freeze(batches)
    return this.#lastBatches
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Printable ASCII other than the quote and the backslash: JSON writes such a name as is, between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/** Bytes of `name` as a JSON string. Channel names are plain ASCII, so the exact count is rarely needed. */
function jsonBytes(name: string): number {
  return PLAIN.test(name) ? name.length + 2 : Buffer.byteLength(JSON.stringify(name), 'utf8')
}
