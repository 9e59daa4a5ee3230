import type { Socket } from 'node:net'
import WebSocket from 'ws'
import { encodeTextFrames, FLUSH_AT_BYTES } from './frameBatch.js'
import type { Heartbeat } from './heartbeat.js'
import type { Session } from './sessions.js'
import type { Identity, Subscriber } from './subscriptionHub.js'

/** Who a connection is authenticated as: a session and the access token `public/auth` granted. */
export interface ConnectionIdentity {
  readonly session: Session
  readonly accessToken: string
  readonly identity: Identity
}

/** Past this much unsent data the client is too slow and is dropped (Deribit's `connection_too_slow`). */
export const MAX_BUFFERED_BYTES = 256 * 1024 * 1024

/**
 * The identity key of a session: a named session is its account and name; a
 * connection-scoped one is that very session, so every connection-scoped sign-in (signature or
 * credentials grant, or a token exchanged to the subject already on) is a new identity, and a
 * refresh grant, which keeps its session, is not.
 */
export function identityOf(session: Session): Identity {
  const scope = session.name === undefined ? `connection#${session.serial}` : `session:${session.name}`
  return { accountId: session.accountId, key: `${session.accountId}|${scope}` }
}

/** One WebSocket connection's server-side state. */
export class SimConnection implements Subscriber {
  auth: ConnectionIdentity | undefined
  /** Cancel-on-disconnect for this connection. */
  cod = false
  /** Set by a half-open fault: nothing is read or written until restored. */
  halfOpen = false
  /** Set once closing started (rate limit, logout, fault): later frames are ignored. */
  closing = false
  /** Closed by `private/logout`, which does not trigger cancel-on-disconnect. */
  loggedOut = false
  heartbeat: Heartbeat | undefined
  /** Requests being handled, so a closing connection can answer them first. */
  readonly inFlight = new Set<Promise<void>>()

  #queue: string[] = []
  #queuedBytes = 0

  /** @internal The gateway's: it takes a `ws` socket, kept out of the published types (no `@types/ws` for users). */
  constructor(
    readonly id: number,
    /** @internal */
    readonly socket: WebSocket,
    /** The TCP socket under the WebSocket: queued frames are written to it directly. */
    private readonly tcp: Socket | undefined,
  ) {}

  /**
   * Queues one text frame; the tick's frames leave together (see {@link encodeTextFrames}).
   * Every data frame of the connection goes through here, so their order is kept; control
   * frames (`close`) flush the queue first.
   */
  deliver(frame: string): void {
    if (this.halfOpen || this.socket.readyState !== WebSocket.OPEN) return
    if (this.tcp === undefined) {
      this.socket.send(frame)
      return
    }
    if (this.#queue.length === 0) process.nextTick(() => this.flush())
    this.#queue.push(frame)
    this.#queuedBytes += frame.length
    if (this.#queuedBytes >= FLUSH_AT_BYTES) this.flush()
  }

  /** Writes the queued frames now. */
  flush(): void {
    if (this.#queue.length === 0) return
    const frames = this.#queue
    this.#queue = []
    this.#queuedBytes = 0
    const tcp = this.tcp
    if (tcp === undefined || this.halfOpen || this.socket.readyState !== WebSocket.OPEN || tcp.destroyed) return
    if (tcp.writableLength > MAX_BUFFERED_BYTES) {
      // The client reads too slowly (Deribit's `connection_too_slow`).
      this.terminate()
      return
    }
    tcp.write(encodeTextFrames(frames))
  }

  close(code: number, reason = ''): void {
    this.flush()
    this.closing = true
    this.heartbeat?.stop()
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason)
    }
  }

  terminate(): void {
    this.closing = true
    this.heartbeat?.stop()
    this.socket.terminate()
  }

  /** Freezes the connection without closing it: stops reading, drops writes. */
  freeze(): void {
    this.halfOpen = true
    this.socket.pause()
  }

  thaw(): void {
    this.halfOpen = false
    this.socket.resume()
  }
}
