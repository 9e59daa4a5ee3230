import type { WebSocket as WsWebSocket } from 'ws'
import type { DeribitError } from '../errors.js'
import type { BackoffOptions } from './backoff.js'
import type { Logger } from './logger.js'

/*
 * The socket's public shape (its states, events and options), apart from the class that drives
 * reconnects, so the reconnect logic in socket.ts reads in one sitting.
 */

/** The `ws` WebSocket class (or a subclass), injectable for tests. */
export type WebSocketClass = typeof WsWebSocket

/** Lifecycle of a {@link ReconnectingSocket}. `'connecting'` includes waiting out a backoff delay. */
export type SocketState = 'idle' | 'connecting' | 'open' | 'closing' | 'closed'

/** Payload of the `'close'` event: emitted exactly once for every socket that reached `'open'`. */
export interface SocketCloseInfo {
  /** Epoch of the socket that closed. */
  epoch: number
  /** WebSocket close code; 1006 when the socket died without a close frame (drop, error). */
  code: number
  reason: string
  /** True when `close()` caused it. */
  intentional: boolean
  /** True when a reconnect will follow. */
  willReconnect: boolean
}

/** Payload of the `'reconnecting'` event. */
export interface ReconnectingInfo {
  /** Retry index passed to `reconnectDelay` (0 is the first retry after a socket that stayed up). */
  attempt: number
  delayMs: number
}

/** Events of {@link ReconnectingSocket}. */
export interface SocketEvents {
  /** A socket opened; `epoch` identifies it until it closes. */
  open: [epoch: number]
  /** A text frame arrived on the socket of `epoch` (only when no `onMessage` option is given). */
  message: [text: string, epoch: number]
  close: [info: SocketCloseInfo]
  /** A reconnect is scheduled after `delayMs`. */
  reconnecting: [info: ReconnectingInfo]
  /** Recoverable trouble (connect failure, oversized frame, gave up). Never Node's crashing `'error'`. */
  error: [error: DeribitError]
  /** The value of `state` changed. */
  state: [state: SocketState]
}

/** Options of {@link ReconnectingSocket}. */
export interface SocketOptions {
  /** `ws://` or `wss://` URL. */
  url: string
  /** WebSocket class. @default `WebSocket` from `ws` */
  WebSocket?: WebSocketClass | undefined
  /** Reconnect delays, merged over {@link DEFAULT_BACKOFF}. @default DEFAULT_BACKOFF */
  backoff?: Partial<BackoffOptions> | undefined
  /** Largest incoming frame; a bigger one closes (only) that socket, which then reconnects. @default 16 MiB */
  maxPayloadBytes?: number | undefined
  /** Time allowed for TCP connect plus the WebSocket handshake. @default 10_000 */
  connectTimeoutMs?: number | undefined
  /** Time `close()` waits for the close handshake before terminating the socket. @default 2_000 */
  closeTimeoutMs?: number | undefined
  /** Consecutive failed reconnect attempts before giving up (state `'closed'`). @default Infinity */
  maxRetries?: number | undefined
  /**
   * A socket must stay open this long for the backoff to restart from attempt 0 (whose reconnect
   * goes out at once). One second: a socket that carried a session that long was up, and at most
   * one immediate reconnect a second cannot hammer an exchange; one that drops sooner counts as a
   * flap and backs off. @default 1_000
   */
  stableAfterMs?: number | undefined
  /** Random source for the backoff jitter. @default Math.random */
  random?: (() => number) | undefined
  /**
   * Receives every text frame of the socket of `epoch`, called directly instead of the
   * `'message'` event: the per-frame path of a client that owns the socket then pays for no
   * event dispatch. It must not throw (what it throws is logged and dropped).
   * @default none: frames are emitted as `'message'` events
   */
  onMessage?: ((text: string, epoch: number) => void) | undefined
  /** Receives diagnostics; never tokens or frames. @default silentLogger */
  logger?: Logger | undefined
}

/** Defaults of {@link SocketOptions}. */
export const DEFAULT_SOCKET_OPTIONS = Object.freeze({
  maxPayloadBytes: 16 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  closeTimeoutMs: 2_000,
  maxRetries: Number.POSITIVE_INFINITY,
  stableAfterMs: 1_000,
})
