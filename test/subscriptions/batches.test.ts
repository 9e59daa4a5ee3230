import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DeribitError } from '../../src/errors.js'
import { MAX_REQUEST_BYTES } from '../../src/protocol/errorCodes.js'
import {
  ChannelChunker,
  chunkChannels,
  DEFAULT_MAX_BATCH_BYTES,
  SUBSCRIBE_ENVELOPE_BYTES,
} from '../../src/subscriptions/batches.js'

/** The largest request the client can write for `channels`: the widest id and longest method. */
function frame(channels: readonly string[]): string {
  const request = { jsonrpc: '2.0', id: Number.MAX_SAFE_INTEGER, method: 'private/unsubscribe', params: { channels } }
  return JSON.stringify(request)
}

/** A distinct four-letter currency code for `i`. */
function code(i: number): string {
  return Array.from({ length: 4 }, (_, k) => String.fromCharCode(65 + (Math.floor(i / 26 ** k) % 26))).join('')
}

describe('chunkChannels', () => {
  it('splits at 250 channels by default', () => {
    const channels = Array.from({ length: 600 }, (_, i) => `ticker.X-${i}.raw`)
    const batches = chunkChannels(channels)
    expect(batches.map((b) => b.length)).toEqual([250, 250, 100])
    expect(batches.flat()).toEqual(channels)
    expect(chunkChannels([])).toEqual([])
  })

  it('keeps every subscribe frame under 32 kB with long names', () => {
    const long = Array.from({ length: 1000 }, (_, i) => `book.${'X'.repeat(200)}-${i}.100ms`)
    const batches = chunkChannels(long)
    expect(batches.length).toBeGreaterThan(4)
    for (const batch of batches) expect(Buffer.byteLength(frame(batch))).toBeLessThanOrEqual(MAX_REQUEST_BYTES)
    expect(batches.flat()).toEqual(long)
  })

  it('counts the envelope exactly, for the widest id and the longest method', () => {
    const names = ['user.orders.any.any.raw', 'ticker.BTC-PERPETUAL.raw']
    expect(Buffer.byteLength(frame(names))).toBe(SUBSCRIBE_ENVELOPE_BYTES + Buffer.byteLength(JSON.stringify(names)))
    expect(DEFAULT_MAX_BATCH_BYTES).toBe(MAX_REQUEST_BYTES - SUBSCRIBE_ENVELOPE_BYTES)
  })

  it('fills every frame to the 32 kB limit, so a mass resubscription takes the fewest requests', () => {
    // 10,000 names of 27 to 33 bytes: 320 kB of names.
    const kinds = ['future', 'option', 'option_combo', 'spot']
    const names = Array.from(
      { length: 10_000 },
      (_, i) => `user.orders.${kinds[i % 4]}.${code(i)}.${i % 2 === 0 ? 'raw' : '100ms'}`,
    )
    const batches = chunkChannels(names, { maxPerBatch: 10_000 })
    expect(batches.flat()).toEqual(names)
    for (const [i, batch] of batches.entries()) {
      expect(Buffer.byteLength(frame(batch))).toBeLessThanOrEqual(MAX_REQUEST_BYTES)
      const next = batches[i + 1]?.[0]
      // Full: the next name would have pushed the frame over the limit.
      if (next !== undefined) expect(Buffer.byteLength(frame([...batch, next]))).toBeGreaterThan(MAX_REQUEST_BYTES)
    }
    // No split into fewer frames exists: k frames carry the names, N - k commas and k brackets
    // pairs, so k >= (names + N) / (room - 1). The 10 also fits the subscribe pool's burst of 10.
    const namesBytes = names.reduce((sum, name) => sum + name.length + 2, 0)
    const room = MAX_REQUEST_BYTES - SUBSCRIBE_ENVELOPE_BYTES
    expect(batches).toHaveLength(Math.ceil((namesBytes + names.length) / (room - 1)))
    expect(batches).toHaveLength(10)
  })

  it('respects both limits for any input, and fills each batch as far as they allow (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ minLength: 1, maxLength: 60, unit: 'binary' }),
            fc.stringMatching(/^[a-z0-9._-]{1,60}$/),
          ),
          { minLength: 1, maxLength: 300 },
        ),
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 250, max: 20_000 }),
        (channels, maxPerBatch, maxBytes) => {
          const batches = chunkChannels(channels, { maxPerBatch, maxBytes })
          expect(batches.flat()).toEqual(channels)
          for (const b of batches) {
            expect(b.length).toBeGreaterThan(0)
            expect(b.length).toBeLessThanOrEqual(maxPerBatch)
            expect(Buffer.byteLength(JSON.stringify(b))).toBeLessThanOrEqual(maxBytes)
          }
          // Sizes are counted exactly: a batch closed early would have taken the next name.
          for (let i = 0; i + 1 < batches.length; i++) {
            const [b, next] = [batches[i] as string[], batches[i + 1] as string[]]
            const grown = Buffer.byteLength(JSON.stringify([...b, next[0]]))
            expect(b.length === maxPerBatch || grown > maxBytes).toBe(true)
          }
        },
      ),
      { numRuns: 200 },
    )
  })

  it('counts bytes exactly: a batch holds as many names as the byte limit allows', () => {
    // Each name is 19 bytes as JSON; n names with commas and brackets take 20n + 1 bytes.
    const names = Array.from({ length: 95 }, (_, i) => `ticker.X-${String(i).padStart(4, '0')}.raw`)
    expect(Buffer.byteLength(JSON.stringify(names.slice(0, 10)))).toBe(201)
    expect(chunkChannels(names, { maxPerBatch: 1000, maxBytes: 201 }).map((b) => b.length)).toEqual([
      10, 10, 10, 10, 10, 10, 10, 10, 10, 5,
    ])
    expect(chunkChannels(names, { maxPerBatch: 1000, maxBytes: 200 })[0]).toHaveLength(9)
    // The whole list in one request when it fits, to the byte and to the count.
    const ten = names.slice(0, 10)
    expect(chunkChannels(ten, { maxPerBatch: 1000, maxBytes: 201 })).toEqual([ten])
    expect(chunkChannels(ten, { maxPerBatch: 1000, maxBytes: 200 }).map((b) => b.length)).toEqual([9, 1])
    expect(chunkChannels(ten, { maxPerBatch: 10, maxBytes: 201 })).toEqual([ten])
    expect(chunkChannels(ten, { maxPerBatch: 9, maxBytes: 201 }).map((b) => b.length)).toEqual([9, 1])
    expect(chunkChannels([], { maxBytes: 201 })).toEqual([])
  })

  it('refuses a name that can never fit', () => {
    expect(() => chunkChannels(['x'.repeat(MAX_REQUEST_BYTES)])).toThrow(DeribitError)
  })
})

describe('ChannelChunker', () => {
  const names = (n: number, tag = '') => Array.from({ length: n }, (_, i) => `user.orders.future.C${i}${tag}.raw`)

  it('answers an unchanged list with the batches it made before, and any change with new ones', () => {
    const chunker = new ChannelChunker({ maxBytes: 2_000 })
    const list = names(300)
    const first = chunker.chunk(list)
    expect(first.flat()).toEqual(list)
    expect(first.length).toBeGreaterThan(1)
    // A reconnect rebuilds the desired list: equal names in a new array are the same list.
    expect(chunker.chunk([...list])).toBe(first)
    const changed = [...list.slice(0, 299), 'user.orders.future.OTHER.raw']
    const second = chunker.chunk(changed)
    expect(second).not.toBe(first)
    expect(second.flat()).toEqual(changed)
    expect(chunker.chunk(names(299)).flat()).toEqual(names(299))
  })

  it('keeps its answer from the caller: batches are frozen and the list given is copied', () => {
    const chunker = new ChannelChunker()
    const list = names(10)
    const batches = chunker.chunk(list)
    expect(Object.isFrozen(batches)).toBe(true)
    expect(Object.isFrozen(batches[0])).toBe(true)
    list[0] = 'user.orders.future.CHANGED.raw'
    expect(chunker.chunk(list).flat()).toEqual(list)
  })
})
