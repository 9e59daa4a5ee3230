import { once } from 'node:events'
import { createServer } from 'node:net'
import { type WebSocket, WebSocketServer } from 'ws'

/** One accepted connection and every text frame the server received on it, in order. */
export interface ServerConnection {
  readonly ws: WebSocket
  readonly received: string[]
}

/** A scripted WebSocket server on 127.0.0.1, port 0. */
export interface TestServer extends AsyncDisposable {
  readonly url: string
  readonly connections: ServerConnection[]
  /** Resolves with the next connection (or the n-th, counting from 0, if already there). */
  connection(index: number): Promise<ServerConnection>
  close(): Promise<void>
}

/** Called for every frame the server receives; answer through `conn.ws`. */
export type FrameHandler = (text: string, conn: ServerConnection) => void

export async function startServer(handler?: FrameHandler): Promise<TestServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(wss, 'listening')
  const address = wss.address()
  if (address === null || typeof address === 'string') throw new Error('unexpected address')
  const connections: ServerConnection[] = []
  const waiters: Array<() => void> = []
  wss.on('connection', (ws) => {
    const conn: ServerConnection = { ws, received: [] }
    connections.push(conn)
    ws.on('error', () => {})
    ws.on('message', (data) => {
      const text = data.toString()
      conn.received.push(text)
      handler?.(text, conn)
    })
    for (const wake of waiters.splice(0)) wake()
  })
  const connection = async (index: number): Promise<ServerConnection> => {
    while (connections[index] === undefined) await new Promise<void>((resolve) => waiters.push(resolve))
    return connections[index]
  }
  let closed: Promise<void> | undefined
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      for (const client of wss.clients) client.terminate()
      wss.close(() => resolve())
    })
    return closed
  }
  return { url: `ws://127.0.0.1:${address.port}`, connections, connection, close, [Symbol.asyncDispose]: close }
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('unexpected address')
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return address.port
}

/** Waits until `predicate` holds, polling every few ms; fails after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('waitFor timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

/** Counts active timers of the process (Node's resource tracker). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length
}
