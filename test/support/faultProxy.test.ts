import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { startSimulator } from '../../src/simulator/index.js'
import { authCreds, BareClient } from '../simulator/server/helpers.js'
import { startServer, type TestServer, waitFor } from '../transport/server.js'
import { type FaultProxy, startFaultProxy } from './faultProxy.js'

let server: TestServer
let proxy: FaultProxy
const clients: WebSocket[] = []

beforeEach(async () => {
  // Echo server: every text frame comes back as is.
  server = await startServer((text, conn) => conn.ws.send(text))
  proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: Number(new URL(server.url).port) } })
})

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate()
  await proxy.close()
  await server.close()
})

interface Client {
  ws: WebSocket
  messages: string[]
  closed: Promise<{ code: number; atMs: number }>
  next(): Promise<string>
}

async function open(url = proxy.url()): Promise<Client> {
  const ws = new WebSocket(url)
  clients.push(ws)
  ws.on('error', () => {})
  const messages: string[] = []
  ws.on('message', (data) => messages.push(data.toString()))
  const closed = new Promise<{ code: number; atMs: number }>((resolve) =>
    ws.on('close', (code) => resolve({ code, atMs: Date.now() })),
  )
  await once(ws, 'open')
  const next = async () => {
    const seen = messages.length
    await waitFor(() => messages.length > seen)
    return messages[seen]!
  }
  return { ws, messages, closed, next }
}

async function roundTripMs(c: Client): Promise<number> {
  const start = performance.now()
  c.ws.send('ping?')
  await c.next()
  return performance.now() - start
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('fault proxy', () => {
  // First, so that no earlier test's sockets are still closing when the baseline is taken.
  it('close() releases every socket, timer and the listening port', async () => {
    const resources = () =>
      process
        .getActiveResourcesInfo()
        .filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap' || r === 'Timeout')
        .sort()
    const before = resources()
    const extra = await startFaultProxy({ target: { host: '127.0.0.1', port: Number(new URL(server.url).port) } })
    const c = await open(extra.url())
    await waitFor(() => server.connections.length === 1)
    extra.latency({ ms: 200 })
    c.ws.send('pending in a timer')
    extra.halfOpen()
    const armed = extra.resetAfterServerReceives(() => false)
    await extra.close()
    expect(await armed).toBe(false)
    expect(extra.connections).toBe(0)
    await c.closed
    await waitFor(() => server.connections[0]!.ws.readyState === WebSocket.CLOSED)
    // Nothing more of any kind than before (an unrelated timer may have ended meanwhile).
    const excess = () => {
      const left = [...before]
      return resources().filter((r) => {
        const i = left.indexOf(r)
        if (i >= 0) left.splice(i, 1)
        return i < 0
      })
    }
    await waitFor(() => excess().length === 0).catch(() => expect(excess()).toEqual([]))
    await expect(open(extra.url())).rejects.toMatchObject({ code: 'ECONNREFUSED' })
  })
  it('forwards both ways and counts its connections', async () => {
    const c = await open()
    c.ws.send('hello')
    expect(await c.next()).toBe('hello')
    expect(proxy.connections).toBe(1)
    c.ws.close()
    await c.closed
    await waitFor(() => proxy.connections === 0)
  })

  it('latency adds at least its delay each way, with jitter never reordering bytes', async () => {
    const c = await open()
    const base = await roundTripMs(c)
    proxy.latency({ ms: 100, jitterMs: 40 })
    const slow = await roundTripMs(c)
    // 100 ms each way; the baseline shows the proxy itself adds next to nothing.
    expect(slow).toBeGreaterThanOrEqual(200)
    expect(base).toBeLessThan(150)
    const sent = Array.from({ length: 200 }, (_, i) => `m${i}`)
    for (const m of sent) c.ws.send(m)
    await waitFor(() => c.messages.length >= 202, 5_000)
    expect(c.messages.slice(2)).toEqual(sent)
  })

  it('reset() gives both sides an abrupt close (1006)', async () => {
    const c = await open()
    const serverConn = await server.connection(0)
    const serverClosed = once(serverConn.ws, 'close')
    expect(proxy.reset()).toBe(1)
    expect((await c.closed).code).toBe(1006)
    const [serverCode] = (await serverClosed) as [number]
    expect(serverCode).toBe(1006)
    await waitFor(() => proxy.connections === 0)
  })

  it('halfOpen() gives silence without a close for over a second, and heal() delivers what was held', async () => {
    const c = await open()
    const serverConn = await server.connection(0)
    let serverClosed = false
    serverConn.ws.on('close', () => {
      serverClosed = true
    })
    let clientClosed = false
    void c.closed.then(() => {
      clientClosed = true
    })
    expect(proxy.halfOpen()).toBe(1)
    c.ws.send('into the void')
    serverConn.ws.send('from the server')
    await sleep(1_100)
    expect(serverConn.received).toEqual([])
    expect(c.messages).toEqual([])
    expect(clientClosed || serverClosed).toBe(false)
    expect(c.ws.readyState).toBe(WebSocket.OPEN)
    // New connections are not half-open.
    const other = await open()
    other.ws.send('fine')
    expect(await other.next()).toBe('fine')
    await proxy.heal()
    await waitFor(() => c.messages.length === 2)
    expect(c.messages).toEqual(['from the server', 'into the void'])
  })

  it('slowClose(ms) delays the close handshake by at least ms', async () => {
    const fast = await open()
    let start = Date.now()
    fast.ws.close()
    expect((await fast.closed).atMs - start).toBeLessThan(300)
    proxy.slowClose(600)
    const slow = await open()
    start = Date.now()
    slow.ws.close()
    const { code, atMs } = await slow.closed
    expect(code).toBe(1005)
    expect(atMs - start).toBeGreaterThanOrEqual(600)
  })

  it('capBytes cuts a connection after n bytes in the given direction', async () => {
    const c = await open()
    proxy.capBytes(500, 'serverToClient')
    c.ws.send('x'.repeat(100))
    expect(await c.next()).toBe('x'.repeat(100))
    c.ws.send('y'.repeat(1_000))
    expect((await c.closed).code).toBe(1006)
    expect(c.messages).toHaveLength(1)

    await proxy.heal()
    proxy.capBytes(300, 'clientToServer')
    const up = await open()
    await waitFor(() => server.connections.length === 2)
    up.ws.send('z'.repeat(1_000))
    expect((await up.closed).code).toBe(1006)
    expect(server.connections[1]!.received).toEqual([])
  })

  it('refuse() makes connects fail (ECONNREFUSED or reset), keeps current connections, and refuse(false) undoes it', async () => {
    const kept = await open()
    await proxy.refuse(true)
    await expect(open()).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    kept.ws.send('still here')
    expect(await kept.next()).toBe('still here')
    await proxy.refuse(false)
    await open()
    await proxy.refuse(true, 'reset')
    await expect(open()).rejects.toThrow()
    await proxy.refuse(false)
    const back = await open()
    back.ws.send('back')
    expect(await back.next()).toBe('back')
  })

  it('resetAfterServerReceives resets right after the matching message reached the server, dropping what follows', async () => {
    const c = await open()
    const serverConn = await server.connection(0)
    const fired = proxy.resetAfterServerReceives((m) => m.kind === 'text' && m.data.includes('private/buy'))
    c.ws.send('before')
    expect(await c.next()).toBe('before')
    // Written in one go, so they usually share TCP chunks with the matching frame.
    c.ws.send(JSON.stringify({ id: 1, method: 'public/test' }))
    c.ws.send(JSON.stringify({ id: 2, method: 'private/buy', pad: 'p'.repeat(200_000) }))
    c.ws.send(JSON.stringify({ id: 3, method: 'public/after' }))
    expect(await fired).toBe(true)
    expect((await c.closed).code).toBe(1006)
    await waitFor(() => serverConn.received.length >= 3)
    await sleep(50)
    expect(serverConn.received[0]).toBe('before')
    expect(serverConn.received.slice(1).map((t) => (JSON.parse(t) as { id: unknown }).id)).toEqual([1, 2])
    expect(serverConn.ws.readyState).toBe(WebSocket.CLOSED)
    // The echo of the buy never reached the client.
    expect(c.messages.some((m) => m.includes('private/buy'))).toBe(false)
  })

  it('resetAfterClientWrites resets after a raw chunk, with the chunk delivered', async () => {
    const received: Buffer[] = []
    const raw = createServer((s) => {
      s.on('data', (d: Buffer) => received.push(d))
      s.on('error', () => {})
    })
    raw.listen(0, '127.0.0.1')
    await once(raw, 'listening')
    const port = (raw.address() as { port: number }).port
    const rawProxy = await startFaultProxy({ target: { host: '127.0.0.1', port } })
    try {
      const tapped: string[] = []
      const unsubscribe = rawProxy.onClientData((chunk) => tapped.push(chunk.toString()))
      const fired = rawProxy.resetAfterClientWrites((chunk) => chunk.includes('BUY'))
      const sock: Socket = connect(rawProxy.port, '127.0.0.1')
      const errored = new Promise<NodeJS.ErrnoException>((resolve) => sock.on('error', resolve))
      await once(sock, 'connect')
      sock.write('hello ')
      await waitFor(() => Buffer.concat(received).toString() === 'hello ')
      sock.write('BUY')
      expect(await fired).toBe(true)
      expect((await errored).code).toBe('ECONNRESET')
      await waitFor(() => Buffer.concat(received).toString() === 'hello BUY')
      expect(tapped.join('')).toBe('hello BUY')
      unsubscribe()
    } finally {
      await rawProxy.close()
      await new Promise((r) => raw.close(r))
    }
  })

  it('heal() clears latency, slow close, caps, refusal and armed resets', async () => {
    proxy.latency({ ms: 1_000 })
    proxy.slowClose(1_000)
    proxy.capBytes(10, 'both')
    const armed = proxy.resetAfterServerReceives(() => true)
    await proxy.refuse(true)
    await proxy.heal()
    expect(await armed).toBe(false)
    const c = await open()
    expect(await roundTripMs(c)).toBeLessThan(500)
    c.ws.send('a'.repeat(1_000))
    expect(await c.next()).toHaveLength(1_000)
    const start = Date.now()
    c.ws.close()
    expect((await c.closed).atMs - start).toBeLessThan(500)
  })
})

describe('fault proxy in front of the simulator', () => {
  it('a buy reset right after it reached the server is placed once, and its answer never arrives', async () => {
    await using sim = await startSimulator({ seed: 5 })
    await using simProxy = await startFaultProxy({ target: { host: '127.0.0.1', port: sim.port } })
    const account = sim.createAccount()
    const c = await BareClient.connect(simProxy.url('/ws/api/v2'))
    await authCreds(c, account)
    const fired = simProxy.resetAfterServerReceives(
      (m) => m.kind === 'text' && m.data.toString().includes('"private/buy"'),
    )
    const params = { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market', label: 'lost' }
    c.send(JSON.stringify({ jsonrpc: '2.0', id: 99, method: 'private/buy', params }))
    expect(await fired).toBe(true)
    expect((await c.closed).code).toBe(1006)
    expect(c.frames.some((f) => f.id === 99)).toBe(false)
    expect(sim.orderCount(account.mainAccountId, 'lost')).toBe(1)
    // The simulator closed its side too (the proxy holds no socket).
    await waitFor(() => simProxy.connections === 0)
  })

  it('close() while refusing resolves, and later controls are no-ops', async () => {
    const extra = await startFaultProxy({ target: { host: '127.0.0.1', port: 1 } })
    await extra.refuse(true)
    await extra.close()
    await expect(extra.refuse(false)).resolves.toBeUndefined()
    expect(extra.connections).toBe(0)
  })
})
