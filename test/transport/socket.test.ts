import { once } from 'node:events'
import { createServer, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket as WsWebSocket } from 'ws'
import type { DeribitError } from '../../src/errors.js'
import { reconnectDelay } from '../../src/transport/backoff.js'
import {
  type ReconnectingInfo,
  ReconnectingSocket,
  type SocketCloseInfo,
  type SocketOptions,
  type WebSocketClass,
} from '../../src/transport/socket.js'
import { activeTimers, closedPort, startServer, type TestServer, waitFor } from './server.js'

const fastBackoff = { initialDelayMs: 5, maxDelayMs: 20, factor: 2, jitter: 0 }
const cleanup: Array<() => Promise<void>> = []

afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function server(): Promise<TestServer> {
  const s = await startServer()
  cleanup.push(() => s.close())
  return s
}

function socket(options: SocketOptions): ReconnectingSocket & { closes: SocketCloseInfo[]; errors: DeribitError[] } {
  const s = Object.assign(new ReconnectingSocket({ backoff: fastBackoff, ...options }), {
    closes: [] as SocketCloseInfo[],
    errors: [] as DeribitError[],
  })
  s.on('close', (info) => s.closes.push(info))
  s.on('error', (err) => s.errors.push(err))
  cleanup.push(() => s.close())
  return s
}

/** A `ws` class that counts the sockets constructed through it (one per connection attempt). */
function countingWebSocket(): { WebSocket: WebSocketClass; readonly constructed: number } {
  let constructed = 0
  class Counting extends WsWebSocket {
    constructor(...args: ConstructorParameters<typeof WsWebSocket>) {
      super(...args)
      constructed++
    }
  }
  return {
    WebSocket: Counting as WebSocketClass,
    get constructed() {
      return constructed
    },
  }
}

function nextOpen(s: ReconnectingSocket): Promise<number> {
  return new Promise((resolve) => s.once('open', resolve))
}

describe('ReconnectingSocket', () => {
  it('opens, sends and receives text frames tagged with the epoch', async () => {
    const srv = await server()
    const s = socket({ url: srv.url })
    expect(s.state).toBe('idle')
    expect(s.send('too early')).toBe(false)
    const opened = nextOpen(s)
    s.open()
    s.open()
    expect(s.state).toBe('connecting')
    expect(s.send('still too early')).toBe(false)
    expect(await opened).toBe(1)
    expect(s.state).toBe('open')
    expect(s.epoch).toBe(1)
    const conn = await srv.connection(0)
    const message = new Promise<[string, number]>((resolve) => s.once('message', (t, e) => resolve([t, e])))
    conn.ws.send('{"hello":1}')
    expect(await message).toEqual(['{"hello":1}', 1])
    expect(s.send('ping')).toBe(true)
    await waitFor(() => conn.received.length === 1)
    expect(conn.received).toEqual(['ping'])
    expect(srv.connections).toHaveLength(1)
  })

  it('delivers every frame once, in order, as text: binary and multi-byte UTF-8 included', async () => {
    const srv = await server()
    const s = socket({ url: srv.url })
    const opened = nextOpen(s)
    s.open()
    await opened
    const conn = await srv.connection(0)
    const got: Array<[string, number]> = []
    s.on('message', (text, epoch) => got.push([text, epoch]))
    const sent = Array.from({ length: 200 }, (_, i) => `{"n":${i},"s":"€ü😀"}`)
    for (const [i, text] of sent.entries()) conn.ws.send(i % 3 === 0 ? Buffer.from(text, 'utf8') : text)
    await waitFor(() => got.length >= sent.length)
    expect(got).toEqual(sent.map((text) => [text, 1]))
  })

  it('no frame of a dropped socket is delivered, even one already read in the same chunk', async () => {
    const srv = await server()
    const s = socket({ url: srv.url })
    const opened = nextOpen(s)
    s.open()
    await opened
    const conn = await srv.connection(0)
    const got: number[] = []
    s.on('message', (_text, epoch) => {
      got.push(epoch)
      if (epoch === 1) s.drop('protocol error')
    })
    const reopened = nextOpen(s)
    // Sent back to back: they reach the client in one or a few TCP chunks, parsed in one go by ws.
    const frames = Array.from({ length: 50 }, (_, i) => `{"n":${i}}`)
    for (const frame of frames) conn.ws.send(frame)
    expect(await reopened).toBe(2)
    const second = await srv.connection(1)
    second.ws.send('{"after":1}')
    await waitFor(() => got.includes(2))
    expect(got).toEqual([1, 2])
  })

  it('an onMessage option receives every frame directly instead of the event, and what it throws is contained', async () => {
    const srv = await server()
    const got: Array<[string, number]> = []
    const s = socket({
      url: srv.url,
      onMessage: (text, epoch) => {
        got.push([text, epoch])
        if (text === '{"n":2}') throw new Error('handler bug')
      },
    })
    const events: string[] = []
    s.on('message', (text) => events.push(text))
    const opened = nextOpen(s)
    s.open()
    await opened
    const conn = await srv.connection(0)
    for (let i = 0; i < 5; i++) conn.ws.send(`{"n":${i}}`)
    await waitFor(() => got.length >= 5)
    expect(got).toEqual([0, 1, 2, 3, 4].map((i) => [`{"n":${i}}`, 1]))
    expect(events).toEqual([])
    expect(s.state).toBe('open')
    expect(s.send('still writable')).toBe(true)
  })
  it('rejects a URL that is not ws: or wss:', () => {
    expect(() => new ReconnectingSocket({ url: 'http://127.0.0.1:1' })).toThrow(/ws: or wss:/)
    expect(() => new ReconnectingSocket({ url: 'not a url' })).toThrow(/not a valid URL/)
  })

  it('drop() closes once, reconnects with a new epoch, and never replays frames', async () => {
    const srv = await server()
    const s = socket({ url: srv.url })
    const reconnecting: ReconnectingInfo[] = []
    s.on('reconnecting', (info) => reconnecting.push(info))
    s.open()
    await nextOpen(s)
    const first = await srv.connection(0)
    expect(s.send('before-drop')).toBe(true)
    await waitFor(() => first.received.length === 1)
    expect(s.send('racing-the-drop')).toBe(true)
    const reopened = nextOpen(s)
    expect(s.drop('half-open')).toBe(true)
    // The close event is synchronous, and nothing can be written until the new socket is open.
    expect(s.closes).toEqual([{ epoch: 1, code: 1006, reason: 'half-open', intentional: false, willReconnect: true }])
    expect(s.state).toBe('connecting')
    expect(s.send('while-disconnected')).toBe(false)
    // The first reconnect after a socket that was up waits for no backoff.
    expect(reconnecting).toEqual([{ attempt: 0, delayMs: 0 }])
    expect(await reopened).toBe(2)
    const second = await srv.connection(1)
    expect(s.send('after-reconnect')).toBe(true)
    await waitFor(() => second.received.length === 1)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(second.received).toEqual(['after-reconnect'])
    expect(first.received).not.toContain('while-disconnected')
    expect(first.received).not.toContain('after-reconnect')
    expect(s.closes).toHaveLength(1)
  })

  it('with a zero backoff delay, the next socket is under way before any timer fires', async () => {
    const srv = await server()
    const sockets = countingWebSocket()
    const s = socket({ url: srv.url, WebSocket: sockets.WebSocket, backoff: { initialDelayMs: 0, jitter: 0 } })
    s.open()
    await nextOpen(s)
    expect(sockets.constructed).toBe(1)
    const reopened = nextOpen(s)
    s.drop('half-open')
    // setTimeout(0) waits at least 1 ms; a reconnect behind a timer (ours or RWS's) comes later.
    const atFirstTimer = await new Promise<number>((resolve) => setTimeout(() => resolve(sockets.constructed), 0))
    expect(atFirstTimer).toBe(2)
    expect(await reopened).toBe(2)
  })

  it('with a zero backoff delay, drops in quick succession each reconnect before any timer fires', async () => {
    const srv = await server()
    const sockets = countingWebSocket()
    // Drops closer together than stableAfterMs: the retry count grows, the reconnect stays immediate.
    const s = socket({
      url: srv.url,
      WebSocket: sockets.WebSocket,
      backoff: { initialDelayMs: 0, jitter: 0 },
      stableAfterMs: 60_000,
    })
    const attempts: number[] = []
    s.on('reconnecting', (info) => attempts.push(info.attempt))
    s.open()
    await nextOpen(s)
    for (let drop = 1; drop <= 3; drop++) {
      const reopened = nextOpen(s)
      s.drop('half-open')
      // An immediate queued now runs before any timer: the next socket must exist by then.
      const atImmediate = await new Promise<number>((resolve) => setImmediate(() => resolve(sockets.constructed)))
      expect(atImmediate).toBe(drop + 1)
      await reopened
    }
    expect(attempts).toEqual([0, 1, 2])
    await s.close()
  })

  it('after a failed attempt, even a zero-delay retry waits for a timer (a refusing server is not hammered)', async () => {
    const port = await closedPort()
    const sockets = countingWebSocket()
    const s = socket({
      url: `ws://127.0.0.1:${port}`,
      WebSocket: sockets.WebSocket,
      backoff: { initialDelayMs: 0, maxDelayMs: 0, jitter: 0 },
    })
    const checks: Array<Promise<boolean>> = []
    s.on('reconnecting', () => {
      if (checks.length >= 3) return
      const before = sockets.constructed
      // An immediate queued now runs before any timer: no new attempt may exist by then.
      checks.push(new Promise((resolve) => setImmediate(() => resolve(sockets.constructed === before))))
    })
    s.open()
    await waitFor(() => checks.length >= 3)
    expect(await Promise.all(checks)).toEqual([true, true, true])
    await s.close()
  })

  it('reconnects when the server closes, reporting its code', async () => {
    const srv = await server()
    const s = socket({ url: srv.url })
    s.open()
    await nextOpen(s)
    const reopened = nextOpen(s)
    ;(await srv.connection(0)).ws.close(4001, 'bye')
    expect(await reopened).toBe(2)
    expect(s.closes).toEqual([{ epoch: 1, code: 4001, reason: 'bye', intentional: false, willReconnect: true }])
  })

  it('close() is final, resolves when closed and leaves no timers behind', async () => {
    const srv = await server()
    const baseline = activeTimers()
    const s = socket({ url: srv.url })
    s.open()
    await nextOpen(s)
    await s.close()
    expect(s.state).toBe('closed')
    expect(s.closes).toEqual([{ epoch: 1, code: 1000, reason: '', intentional: true, willReconnect: false }])
    expect(activeTimers()).toBe(baseline)
    expect(s.send('x')).toBe(false)
    s.open()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(srv.connections).toHaveLength(1)
    expect(s.state).toBe('closed')
    await s.close()
  })

  it('close() terminates a peer that never finishes the close handshake', async () => {
    const srv = await server()
    const s = socket({ url: srv.url, closeTimeoutMs: 100 })
    s.open()
    await nextOpen(s)
    const conn = await srv.connection(0)
    // The server stops reading, so it never sees (or answers) our close frame.
    ;(conn.ws as unknown as { _socket: Socket })._socket.pause()
    const started = Date.now()
    await s.close()
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(90)
    expect(took).toBeLessThan(1_000)
    expect(s.state).toBe('closed')
    expect(s.closes).toHaveLength(1)
    expect(s.closes[0]).toMatchObject({ intentional: true, willReconnect: false })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(srv.connections).toHaveLength(1)
  })

  it('close() while connecting or waiting to reconnect stops everything', async () => {
    const srv = await server()
    const baseline = activeTimers()
    const s = socket({ url: srv.url })
    s.open()
    await s.close()
    expect(s.state).toBe('closed')

    const port = await closedPort()
    const t = socket({ url: `ws://127.0.0.1:${port}`, backoff: { initialDelayMs: 5_000, jitter: 0 } })
    const waiting = new Promise((resolve) => t.once('reconnecting', resolve))
    t.open()
    await waiting
    await t.close()
    expect(t.state).toBe('closed')
    expect(activeTimers()).toBe(baseline)
    expect(s.closes).toEqual([])
    expect(t.closes).toEqual([])
  })

  it('ws error-then-close yields one close event and one error', async () => {
    const srv = await server()
    const s = socket({ url: srv.url })
    s.open()
    await nextOpen(s)
    const conn = await srv.connection(0)
    const reopened = nextOpen(s)
    // A masked frame from a server is a protocol violation: the client's ws emits 'error', then 'close'.
    ;(conn.ws as unknown as { _socket: Socket })._socket.write(Buffer.from([0x81, 0x81, 1, 2, 3, 4, 0x61]))
    await reopened
    expect(s.closes).toHaveLength(1)
    expect(s.closes[0]).toMatchObject({ epoch: 1, code: 1006, intentional: false, willReconnect: true })
    expect(s.errors).toHaveLength(1)
    expect(s.errors[0]?.code).toBe('CONNECTION_CLOSED')
  })

  it('a frame over maxPayloadBytes closes only that socket, which reconnects', async () => {
    const srv = await server()
    const s = socket({ url: srv.url, maxPayloadBytes: 1024 })
    const messages: string[] = []
    s.on('message', (text) => messages.push(text))
    s.open()
    await nextOpen(s)
    const reopened = nextOpen(s)
    ;(await srv.connection(0)).ws.send('x'.repeat(2048))
    expect(await reopened).toBe(2)
    expect(messages).toEqual([])
    expect(s.errors.map((e) => e.code)).toEqual(['PROTOCOL'])
    expect(s.closes).toEqual([
      expect.objectContaining({ epoch: 1, code: 1009, intentional: false, willReconnect: true }),
    ])
    const delivered = new Promise((resolve) => s.once('message', resolve))
    ;(await srv.connection(1)).ws.send('small')
    expect(await delivered).toBe('small')
  })

  it('20 refused connects: backoff grows to its cap while listeners and timers stay flat', async () => {
    const port = await closedPort()
    const baseline = activeTimers()
    const backoff = { initialDelayMs: 1, maxDelayMs: 16, factor: 2, jitter: 0 }
    const s = socket({ url: `ws://127.0.0.1:${port}`, backoff })
    const delays: number[] = []
    const timersSeen: number[] = []
    s.on('reconnecting', ({ attempt, delayMs }) => {
      expect(delayMs).toBe(reconnectDelay(attempt, backoff))
      delays.push(delayMs)
      timersSeen.push(activeTimers() - baseline)
    })
    const listeners = s.listenerCount()
    s.open()
    await waitFor(() => delays.length >= 20, 10_000)
    expect(delays.slice(0, 7)).toEqual([0, 1, 2, 4, 8, 16, 16])
    expect(Math.max(...delays)).toBe(16)
    expect(Math.max(...timersSeen)).toBeLessThanOrEqual(2)
    expect(s.listenerCount()).toBe(listeners)
    expect(s.errors.length).toBeGreaterThanOrEqual(20)
    expect(s.errors.every((e) => e.code === 'CONNECTION_CLOSED')).toBe(true)
    expect(s.epoch).toBe(0)
    expect(s.closes).toEqual([])
    await s.close()
    expect(activeTimers()).toBeLessThanOrEqual(baseline)
  })

  it('gives up after maxRetries and reports it', async () => {
    const port = await closedPort()
    const s = socket({ url: `ws://127.0.0.1:${port}`, maxRetries: 3 })
    const states: string[] = []
    s.on('state', (state) => states.push(state))
    s.open()
    await waitFor(() => s.state === 'closed')
    expect(s.errors.at(-1)?.message).toMatch(/Gave up after 3/)
    expect(states.at(-1)).toBe('closed')
  })

  it('a handshake that never completes times out and is retried', async () => {
    const silent = createServer(() => {})
    const sockets: Socket[] = []
    silent.on('connection', (c) => sockets.push(c))
    silent.listen(0, '127.0.0.1')
    await once(silent, 'listening')
    cleanup.push(async () => {
      for (const c of sockets) c.destroy()
      await new Promise<void>((resolve) => silent.close(() => resolve()))
    })
    const address = silent.address()
    if (address === null || typeof address === 'string') throw new Error('unexpected address')
    const s = socket({ url: `ws://127.0.0.1:${address.port}`, connectTimeoutMs: 50 })
    const retried = new Promise((resolve) => s.once('reconnecting', resolve))
    s.open()
    await retried
    expect(s.errors[0]?.message).toMatch(/timed out after 50 ms/)
    expect(s.state).toBe('connecting')
    await s.close()
  })

  it('close() called from inside a close or state listener stops reconnecting', async () => {
    const srv = await server()
    const s = socket({ url: srv.url })
    s.open()
    await nextOpen(s)
    let closed: Promise<void> | undefined
    s.once('close', () => {
      closed = s.close()
    })
    s.drop('test')
    await closed
    expect(s.state).toBe('closed')

    const t = socket({ url: srv.url })
    t.on('state', (state) => {
      if (state === 'connecting') void t.close()
    })
    t.open()
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(t.state).toBe('closed')
    expect(srv.connections).toHaveLength(1)
  })

  it('a throwing listener does not break the socket', async () => {
    const srv = await server()
    const s = socket({ url: srv.url })
    s.on('open', () => {
      throw new Error('listener bug')
    })
    s.open()
    await nextOpen(s)
    expect(s.state).toBe('open')
    expect(s.send('still works')).toBe(true)
  })
})
