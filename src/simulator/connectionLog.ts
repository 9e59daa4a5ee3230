/**
 * What each client put on the wire: every text frame received, with its arrival time, so tests
 * can assert exactly which frames a client sent. Held in memory only (frames include
 * credentials, so nothing here is ever printed).
 */

/** One frame received from a client. */
export interface LoggedFrame {
  /** Simulator clock, ms since epoch. */
  at: number
  /** The frame's text as received (it may hold credentials: never print it). */
  text: string
  /** The error code the request drew, once answered with an error (say, a private call before sign-in). */
  errorCode?: number
}

/** A logged frame with the connection it came on. */
export interface LoggedConnectionFrame extends LoggedFrame {
  /** The connection's id ({@link ConnectionInfo.id}). */
  connectionId: number
}

/** What the log knows about one WebSocket connection. */
export interface ConnectionInfo {
  /** The connection's id, counting up from 1 in order of arrival. */
  id: number
  /** True until the socket closes. */
  open: boolean
  /** When it opened, simulator clock, ms since epoch. */
  openedAt: number
  /** When it closed, simulator clock, ms since epoch; undefined while open. */
  closedAt: number | undefined
  /** WebSocket close code, once closed. */
  closeCode: number | undefined
  /** The account the connection is authenticated as, if any. */
  accountId: number | undefined
  /** `session:NAME` name of that identity, or undefined for connection scope / unauthenticated. */
  session: string | undefined
}

/** Read side of the log, exposed as `sim.log`. */
export interface ConnectionLogView {
  /** Every connection seen, oldest first. */
  connections(): ConnectionInfo[]
  /** Frames received on one connection, in arrival order. */
  framesFrom(connectionId: number): LoggedFrame[]
  /** Frames received on every connection, in arrival order. */
  allFrames(): LoggedConnectionFrame[]
}

/** Largest number of frames kept (oldest dropped first) so long benchmarks stay bounded. */
export const MAX_LOGGED_FRAMES = 100_000

/** The log itself; the server writes, tests read. */
export class ConnectionLog implements ConnectionLogView {
  readonly #infos = new Map<number, ConnectionInfo>()
  #frames: LoggedConnectionFrame[] = []

  opened(id: number, at: number): void {
    this.#infos.set(id, {
      id,
      open: true,
      openedAt: at,
      closedAt: undefined,
      closeCode: undefined,
      accountId: undefined,
      session: undefined,
    })
  }

  identity(id: number, accountId: number | undefined, session: string | undefined): void {
    const info = this.#infos.get(id)
    if (info === undefined) return
    info.accountId = accountId
    info.session = session
  }

  closed(id: number, at: number, code: number): void {
    const info = this.#infos.get(id)
    if (info === undefined) return
    info.open = false
    info.closedAt = at
    info.closeCode = code
  }

  /** Logs a received frame; the returned entry takes the error its request draws. */
  frame(connectionId: number, at: number, text: string): LoggedConnectionFrame {
    const entry: LoggedConnectionFrame = { connectionId, at, text }
    this.#frames.push(entry)
    if (this.#frames.length > MAX_LOGGED_FRAMES) this.#frames = this.#frames.slice(-MAX_LOGGED_FRAMES / 2)
    return entry
  }

  connections(): ConnectionInfo[] {
    return [...this.#infos.values()].map((info) => ({ ...info }))
  }

  framesFrom(connectionId: number): LoggedFrame[] {
    return this.#frames
      .filter((f) => f.connectionId === connectionId)
      .map(({ at, text, errorCode }) => (errorCode === undefined ? { at, text } : { at, text, errorCode }))
  }

  allFrames(): LoggedConnectionFrame[] {
    return this.#frames.map((f) => ({ ...f }))
  }
}
