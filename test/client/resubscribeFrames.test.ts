import { describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { ChannelName } from '../../src/protocol/channelNames.js'
import { MAX_REQUEST_BYTES } from '../../src/protocol/errorCodes.js'
import { PUBLIC, startWorld, waitFor } from './harness.js'

/** A `ws` class that keeps every subscribe request it writes, per socket that wrote any. */
function recordingSubscribes(): { WebSocket: typeof WebSocket; sockets: string[][] } {
  const sockets: string[][] = []
  const bySocket = new WeakMap<WebSocket, string[]>()
  class Recording extends WebSocket {}
  const send = WebSocket.prototype.send
  Recording.prototype.send = function (this: WebSocket, ...args: Parameters<typeof send>) {
    const text = String(args[0])
    if (text.includes('/subscribe"')) {
      let frames = bySocket.get(this)
      if (frames === undefined) {
        frames = []
        bySocket.set(this, frames)
        sockets.push(frames)
      }
      frames.push(text)
    }
    send.apply(this, args)
  } as typeof send
  return { WebSocket: Recording, sockets }
}

/** `count` distinct private channels the simulator accepts (any two-to-six-letter currency code). */
function privateChannels(count: number): string[] {
  const letters = (i: number) =>
    Array.from({ length: 4 }, (_, k) => String.fromCharCode(65 + (Math.floor(i / 26 ** k) % 26))).join('')
  return Array.from({ length: count }, (_, i) => `user.orders.future.${letters(i)}.${i % 2 ? '100ms' : 'raw'}`)
}

/** What a user checks of one socket's subscribe requests: all accepted, all full, private first. */
function checkFrames(frames: readonly string[], expected: number): void {
  const lists = frames.map((f) => (JSON.parse(f) as { params: { channels: string[] } }).params.channels)
  expect(lists.flat()).toHaveLength(expected)
  for (const [i, frame] of frames.entries()) {
    expect(Buffer.byteLength(frame)).toBeLessThanOrEqual(MAX_REQUEST_BYTES)
    // Each frame but the last was full: 40 more bytes (the longest name here, quoted) would not fit.
    if (i < frames.length - 1) expect(Buffer.byteLength(frame) + 40).toBeGreaterThan(MAX_REQUEST_BYTES)
  }
  // The account's own channels go out before any public one.
  const flat = lists.flat()
  const firstPublic = flat.findIndex((c) => !c.startsWith('user.'))
  expect(flat.slice(firstPublic).every((c) => !c.startsWith('user.'))).toBe(true)
}

describe('mass resubscription', () => {
  it('10,000 channels go out in the fewest full frames the exchange accepts, on connect and reconnect', async () => {
    const recording = recordingSubscribes()
    await using world = await startWorld({ client: { WebSocket: recording.WebSocket, requestTimeoutMs: 10_000 } })
    const { client, sim } = world
    const channels = [...PUBLIC, ...privateChannels(10_000 - PUBLIC.length)]
    await client.subscribe(channels as ChannelName[], () => undefined)
    await client.connect()
    // The order tracker adds its own channel to the user's.
    const desired = client.channels
    expect(desired.length).toBeGreaterThanOrEqual(channels.length)
    const onWire = () => {
      const open = sim.log.connections().filter((c) => c.open)
      return open.length === 1 ? sim.subscriptionsOf(open[0]!.id).length : 0
    }
    await waitFor(() => onWire() === desired.length, 'every channel on the wire', 15_000)
    // 320 kB of names fill ten 32 kB frames: the subscribe pool's burst, no pacing needed.
    expect(recording.sockets[0]).toHaveLength(10)
    checkFrames(recording.sockets[0] ?? [], desired.length)

    sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    await waitFor(
      () => sim.log.connections().length === 2 && client.state === 'ready' && onWire() === desired.length,
      'the resubscription',
      15_000,
    )
    const again = recording.sockets.at(-1) ?? []
    expect(again).toHaveLength(10)
    checkFrames(again, desired.length)
    const open = sim.log.connections().filter((c) => c.open)
    expect(new Set(sim.subscriptionsOf(open[0]!.id))).toEqual(new Set(desired))
  })
})
