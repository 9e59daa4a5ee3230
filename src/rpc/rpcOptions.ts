import type { DeribitError, ProtocolError } from '../errors.js'
import { MAX_REQUEST_BYTES } from '../protocol/errorCodes.js'
import type { Logger } from '../transport/logger.js'
import type { Timers } from '../transport/timers.js'
import type { CreditLimiter } from './creditLimiter.js'
import { DEFAULT_MAX_FRAME_BYTES } from './frame.js'

/** What the RPC client needs from a socket; the transport's `ReconnectingSocket` satisfies it. */
export interface RpcSocket {
  readonly state: string
  readonly epoch: number
  /** Writes one frame if the socket is open; returns false (writing nothing) otherwise. */
  send(text: string): boolean
}

/** Options of `RpcClient`. */
export interface RpcClientOptions {
  socket: RpcSocket
  /** Time a call may take, queueing in the limiter included. @default 10_000 */
  requestTimeoutMs?: number | undefined
  /** Receives diagnostics; never tokens, params or frames. @default silentLogger */
  logger?: Logger | undefined
  /** Paces calls within Deribit's credit pools. @default none */
  limiter?: CreditLimiter | undefined
  /** Largest incoming frame accepted by the parser. @default 16 MiB */
  maxPayloadBytes?: number | undefined
  /** Largest outgoing frame; Deribit rejects bigger ones without an id. @default 32 KiB (MAX_REQUEST_BYTES) */
  maxRequestBytes?: number | undefined
  /** Timer source for request timeouts. @default the platform's timers */
  timers?: Timers | undefined
  /** Receives every subscription notification (the hot path: keep it cheap; it must not throw). */
  onNotification: (channel: string, data: unknown, label: string | undefined) => void
  /** Receives every dropped invalid frame. @default none (dropped frames are only logged) */
  onProtocolError?: ((error: ProtocolError) => void) | undefined
}

/** Defaults of {@link RpcClientOptions}. */
export const DEFAULT_RPC_CLIENT_OPTIONS = Object.freeze({
  requestTimeoutMs: 10_000,
  maxPayloadBytes: DEFAULT_MAX_FRAME_BYTES,
  maxRequestBytes: MAX_REQUEST_BYTES,
})

/** Per-call options of `RpcClient.call`. */
export interface CallOptions {
  /** Aborts the wait for the answer (the request may still reach the exchange). */
  signal?: AbortSignal | undefined
  /** @default the client's requestTimeoutMs */
  timeoutMs?: number | undefined
  /** Only write on the connection of this epoch; otherwise fail with NOT_CONNECTED. */
  epoch?: number | undefined
}

/**
 * Where `RpcClient.request` reports a call's outcome: exactly one method is called, once.
 * An object rather than two callbacks, so a caller that is itself the sink allocates no closure.
 */
export interface CallSink<T = unknown> {
  resolve(value: T): void
  reject(error: DeribitError): void
}
