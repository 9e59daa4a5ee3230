import { afterEach, describe, expect, it } from 'vitest'
import { RpcClient } from '../../src/rpc/rpcClient.js'
import { ReconnectingSocket } from '../../src/transport/socket.js'
import { type ServerConnection, startServer, type TestServer, waitFor } from '../transport/server.js'

/** A scripted exchange: echoes `public/echo`, answers `public/test`, never answers `public/hang`. */
function exchange(text: string, conn: ServerConnection): void {
  const request = JSON.parse(text) as { id: number; method: string; params?: unknown }
  if (request.method === 'public/echo')
    conn.ws.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: request.params }))
  if (request.method === 'public/test')
    conn.ws.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { version: '1' } }))
  if (request.method === 'public/fail') {
    conn.ws.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, error: { code: 13009, message: 'unauthorized' } }))
  }
}

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn()
})

async function connected(): Promise<{ server: TestServer; socket: ReconnectingSocket; rpc: RpcClient }> {
  const server = await startServer(exchange)
  cleanup.push(() => server.close())
  const socket = new ReconnectingSocket({ url: server.url, backoff: { initialDelayMs: 5, jitter: 0 } })
  cleanup.push(() => socket.close())
  const rpc = new RpcClient({ socket, onNotification: () => {} })
  socket.on('message', (text, epoch) => rpc.handleMessage(text, epoch))
  socket.on('close', ({ epoch }) => rpc.failPending(epoch))
  const opened = new Promise((resolve) => socket.once('open', resolve))
  socket.open()
  await opened
  return { server, socket, rpc }
}

describe('RpcClient over a ReconnectingSocket', () => {
  it('round-trips calls and maps errors', async () => {
    const { rpc } = await connected()
    expect(await rpc.call('public/echo', { a: 1 })).toEqual({ a: 1 })
    await expect(rpc.call('public/fail')).rejects.toMatchObject({ code: 'AUTH_FAILED', exchangeCode: 13009 })
  })

  it('answers the server test_request with public/test', async () => {
    const { server, rpc } = await connected()
    const conn = await server.connection(0)
    conn.ws.send('{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}')
    await waitFor(() => conn.received.length === 1)
    expect(JSON.parse(conn.received[0] ?? '')).toMatchObject({ method: 'public/test' })
    await waitFor(() => rpc.pendingCount === 0)
  })

  it('fails in-flight calls when the connection drops, and pinned calls after it', async () => {
    const { server, socket, rpc } = await connected()
    const hanging = rpc.call('public/hang')
    await waitFor(() => (server.connections[0]?.received.length ?? 0) === 1)
    const reopened = new Promise((resolve) => socket.once('open', resolve))
    server.connections[0]?.ws.terminate()
    await expect(hanging).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
    await reopened
    await expect(rpc.call('public/echo', { x: 1 }, { epoch: 1 })).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
    expect(await rpc.call('public/echo', { x: 2 }, { epoch: 2 })).toEqual({ x: 2 })
    expect(server.connections[1]?.received.map((t) => JSON.parse(t).params)).toEqual([{ x: 2 }])
  })
})
