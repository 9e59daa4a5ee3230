/** Bare JSON-RPC callers for the spec walks: one WebSocket connection, or HTTP GET with a query string. */
import WebSocket from 'ws'

type Json = Record<string, unknown>

// Generous: the walks run beside the whole suite on two shared cores.
const TIMEOUT_MS = 15_000

/** One WebSocket connection: requests by id, notifications collected in order. */
export class WsRpc {
  readonly notifications: Json[] = []
  readonly closed: Promise<number>
  #nextId = 1
  #pending = new Map<number, (frame: Json | undefined) => void>()
  #listeners: Array<() => void> = []

  private constructor(private readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        // A request the socket closed under gets no answer: settle it now rather than at its timeout.
        for (const settle of [...this.#pending.values()]) settle(undefined)
        resolve(code)
      }),
    )
    ws.on('error', () => {})
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Json
      if (frame.method === 'subscription') {
        this.notifications.push(frame)
        for (const l of this.#listeners) l()
      } else if (typeof frame.id === 'number') this.#pending.get(frame.id)?.(frame)
    })
  }

  /** Opens a connection to the simulator's WebSocket URL. */
  static async open(url: string): Promise<WsRpc> {
    const ws = new WebSocket(url)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return new WsRpc(ws)
  }

  /** The whole response frame; undefined when none came before the timeout or the close (logout answers none). */
  call(method: string, params: Json = {}, timeoutMs = TIMEOUT_MS): Promise<Json | undefined> {
    const id = this.#nextId++
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        resolve(undefined)
      }, timeoutMs)
      this.#pending.set(id, (frame) => {
        clearTimeout(timer)
        this.#pending.delete(id)
        resolve(frame)
      })
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  /** The result, or a thrown error naming the method and the error object. */
  async result(method: string, params: Json = {}): Promise<unknown> {
    const frame = await this.call(method, params)
    if (frame === undefined || frame.error !== undefined) {
      throw new Error(`${method} failed: ${JSON.stringify(frame?.error ?? 'no response')}`)
    }
    return frame.result
  }

  /** Resolves with the first notification on `channel`, or undefined after `timeoutMs`. */
  firstNotification(channel: string, timeoutMs: number): Promise<Json | undefined> {
    const find = () => this.notifications.find((n) => (n.params as Json).channel === channel)
    return new Promise((resolve) => {
      const done = (value: Json | undefined) => {
        clearTimeout(timer)
        this.#listeners = this.#listeners.filter((l) => l !== check)
        resolve(value)
      }
      const check = () => {
        const n = find()
        if (n !== undefined) done(n)
      }
      const timer = setTimeout(() => done(undefined), timeoutMs)
      this.#listeners.push(check)
      check()
    })
  }

  /** Closes the connection and waits for it to be closed. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    this.ws.close()
    await this.closed
  }
}

/** Encodes params as a GET query: scalars as text, lists and objects as JSON (a one-item list stays a list). */
export function toQuery(params: Json): string {
  const q = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue
    q.append(key, value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value))
  }
  return q.toString()
}

/** GET `/api/v2/{method}?{params}` with an optional bearer token; resolves with the JSON body. */
export async function httpCall(httpUrl: string, method: string, params: Json, token?: string): Promise<Json> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` }
  const res = await fetch(`${httpUrl}/api/v2/${method}?${toQuery(params)}`, {
    headers,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  })
  return (await res.json()) as Json
}
