/**
 * The floor's socket: a bare `ws` connection with JSON-RPC id correlation and nothing else. Each
 * frame is parsed once; answers settle their call, notifications go to one callback. This is the
 * least any client must do, so it is what the SDK is measured against.
 */
import { randomBytes } from 'node:crypto'
import WebSocket from 'ws'
import { wsSignature } from '../../src/protocol/signature.js'

/** A parsed notification. */
export interface Notification {
  method: string
  params: { channel: string; data: unknown }
}

/** Tokens of a `public/auth` (or exchange/fork) answer. */
export interface Tokens {
  access_token: string
  refresh_token: string
}

/** A bare JSON-RPC socket. */
export class BareSocket {
  readonly ws: WebSocket
  #nextId = 1
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  onNotification: (message: Notification) => void = () => {}

  private constructor(ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as {
        id?: number
        result?: unknown
        error?: { code: number; message: string }
        method?: string
        params?: { channel: string; data: unknown }
      }
      if (msg.id !== undefined) {
        const p = this.#pending.get(msg.id)
        if (p === undefined) return
        this.#pending.delete(msg.id)
        if (msg.error !== undefined) p.reject(new Error(`${msg.error.code} ${msg.error.message}`))
        else p.resolve(msg.result)
      } else if (msg.method !== undefined) {
        this.onNotification(msg as Notification)
      }
    })
    ws.on('close', () => {
      for (const p of this.#pending.values()) p.reject(new Error('closed'))
      this.#pending.clear()
    })
  }

  /** Opens a connection. */
  static open(url: string): Promise<BareSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url)
      ws.once('open', () => resolve(new BareSocket(ws)))
      ws.once('error', reject)
    })
  }

  /** Sends one request and waits for its answer. */
  call<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  /** `public/auth` with a signature (the secret never goes over the wire), optionally session-scoped. */
  auth(clientId: string, clientSecret: string, sessionName?: string): Promise<Tokens> {
    const timestamp = Date.now()
    const nonce = randomBytes(8).toString('hex')
    return this.call<Tokens>('public/auth', {
      grant_type: 'client_signature',
      client_id: clientId,
      timestamp,
      nonce,
      data: '',
      signature: wsSignature(clientSecret, timestamp, nonce),
      ...(sessionName === undefined ? {} : { scope: `session:${sessionName}` }),
    })
  }

  /** Closes the socket and waits for the close. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) {
        resolve()
        return
      }
      this.ws.once('close', () => resolve())
      this.ws.close()
    })
  }
}
