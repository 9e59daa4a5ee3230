import type { IncomingMessage, Server } from 'node:http'
import { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type WebSocket from 'ws'
import { WebSocketServer } from 'ws'
import { MAX_REQUEST_BYTES } from '../protocol/errorCodes.js'
import { identityOf, SimConnection } from './connection.js'
import type { Dispatcher } from './dispatcher.js'
import { encodeError, encodeResult } from './envelope.js'
import { Heartbeat, TEST_REQUEST_FRAME } from './heartbeat.js'
import type { RateLimiter } from './rateLimiter.js'
import { parseFrame } from './rpcRequest.js'
import type { ServerDeps } from './serverMethod.js'
import type { Session } from './sessions.js'

/** The WebSocket endpoint path. */
export const WS_PATH = '/ws/api/v2'

/**
 * Frames up to this size are read, so that the server itself can answer -32600 for frames over
 * 32 kB and keep the connection open; only larger ones make `ws` close with 1009.
 */
export const WS_MAX_PAYLOAD_BYTES = 64 * MAX_REQUEST_BYTES

const TOO_MANY_REQUESTS = { code: 10028, message: 'too_many_requests' }

/** Accepts WebSocket connections and runs each frame through the JSON-RPC dispatcher. */
export class WsGateway {
  readonly connections = new Map<number, SimConnection>()
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD_BYTES })
  #nextId = 1

  constructor(
    private readonly deps: ServerDeps,
    private readonly dispatcher: Dispatcher,
    private readonly limiter: RateLimiter | undefined,
  ) {
    this.#wss.on('connection', (socket: WebSocket, req: IncomingMessage) => this.#accept(socket, req))
  }

  /** Takes over HTTP upgrades on {@link WS_PATH}; other paths are refused. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0]
      if (path !== WS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n')
        return
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => this.#wss.emit('connection', ws, req))
    })
  }

  /** Makes `session` the connection's identity; other identities' private subscriptions end silently. */
  authenticate(conn: SimConnection, session: Session, accessToken: string): void {
    const identity = identityOf(session)
    conn.auth = { session, accessToken, identity }
    this.deps.hub.dropPrivateNotOf(conn, identity)
    const cod = this.deps.codByAccount.get(session.accountId)
    if (cod !== undefined) conn.cod = cod
    this.deps.log.identity(conn.id, session.accountId, session.name)
  }

  /** Starts (or restarts) the heartbeat of a connection. */
  startHeartbeat(connId: number, intervalSec: number): void {
    const conn = this.connections.get(connId)
    if (conn === undefined) return
    conn.heartbeat?.stop()
    conn.heartbeat = new Heartbeat(intervalSec * 1000, {
      sendTestRequest: () => conn.deliver(TEST_REQUEST_FRAME),
      onTimeout: () => {
        this.deps.stats.heartbeatTimeouts++
        // An abnormal drop, as when the real server gives up on a silent client: COD fires.
        conn.terminate()
      },
      isFrozen: () => conn.halfOpen,
    })
    conn.heartbeat.start()
  }

  #accept(socket: WebSocket, req: IncomingMessage): void {
    const id = this.#nextId++
    const conn = new SimConnection(id, socket, req.socket instanceof Socket ? req.socket : undefined)
    this.connections.set(id, conn)
    this.deps.stats.connectionsOpened++
    this.deps.log.opened(id, this.deps.clock.nowMs())
    // Socket errors end in 'close'; listening keeps them from crashing the process.
    socket.on('error', () => {})
    socket.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const text = rawToString(data)
      const logged = this.deps.log.frame(id, this.deps.clock.nowMs(), text)
      if (conn.closing) return
      conn.heartbeat?.activity()
      const handling = this.#handleFrame(conn, text, isBinary).then((code) => {
        if (code !== undefined) logged.errorCode = code
      })
      conn.inFlight.add(handling)
      void handling.finally(() => conn.inFlight.delete(handling))
    })
    socket.on('close', (code: number) => this.#closed(conn, code))
  }

  /** Answers one frame; resolves with the error code it drew, if any (for the connection log). */
  async #handleFrame(conn: SimConnection, text: string, _isBinary: boolean): Promise<number | undefined> {
    const usIn = this.deps.clock.nowUs()
    const parsed = parseFrame(text)
    if (!parsed.ok) {
      conn.deliver(encodeError(parsed.id, parsed.error, { usIn, usOut: this.deps.clock.nowUs() }))
      return parsed.error.code
    }
    if (this.limiter !== undefined) {
      const a = conn.auth
      const payer = a !== undefined ? `account:${a.session.accountId}` : `conn:${conn.id}`
      if (!this.limiter.charge(payer, parsed.method)) {
        this.deps.stats.rateLimited++
        // Later frames are ignored; earlier ones still get their answers before the 10028 and the close.
        conn.closing = true
        await Promise.allSettled([...conn.inFlight])
        conn.deliver(encodeError(parsed.id, TOO_MANY_REQUESTS, { usIn, usOut: this.deps.clock.nowUs() }))
        conn.close(1008, 'too_many_requests')
        return TOO_MANY_REQUESTS.code
      }
    }
    const outcome = await this.dispatcher.dispatch(parsed, {
      conn,
      presenter: { transport: 'ws', connectionId: conn.id },
      httpAuth: undefined,
    })
    const timing = { usIn, usOut: this.deps.clock.nowUs() }
    if (outcome.kind === 'error') {
      conn.deliver(encodeError(parsed.id, outcome.error, timing))
      return outcome.error.code
    }
    if (outcome.kind === 'result') conn.deliver(encodeResult(parsed.id, outcome.result, timing))
    for (const fn of outcome.after) fn()
    return undefined
  }

  #closed(conn: SimConnection, code: number): void {
    conn.closing = true
    conn.heartbeat?.stop()
    conn.heartbeat = undefined
    this.connections.delete(conn.id)
    this.deps.log.closed(conn.id, this.deps.clock.nowMs(), code)
    this.deps.hub.unsubscribeAll(conn)
    this.deps.sessions.connectionClosed(conn.id)
    this.limiter?.forget(`conn:${conn.id}`)
    if (conn.cod && !conn.loggedOut) {
      try {
        this.deps.stats.codCancelledOrders += this.deps.exchange.cancelOrdersOfConnection(conn.id)
      } catch {
        // The exchange failing to cancel must not take the server down.
      }
    }
  }

  /** Closes every connection and the WebSocket server. */
  async close(): Promise<void> {
    for (const conn of this.connections.values()) conn.terminate()
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()))
  }
}

function rawToString(data: WebSocket.RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8')
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return Buffer.from(data).toString('utf8')
}
