/**
 * A TCP fault proxy on `node:net` for the reliability tests: it sits between a client and a server
 * (the simulator, or any WebSocket server) and injects network faults the server itself cannot
 * fake — latency with jitter, TCP resets, half-open connections, slow closes, byte caps, refused
 * connects — and can reset a connection right after a given WebSocket message reached the server.
 *
 * It lives in `test/support` rather than in the published simulator on purpose: the simulator
 * already offers the protocol-level faults users need in their own tests (`sim.faults`: drops,
 * half-open, delays, token expiry), while this proxy is generic TCP plumbing whose knobs are shaped
 * by our reliability scenarios. Keeping it out of the package keeps the public surface small and
 * free to change; promoting it later is a move, not a redesign.
 *
 * @example
 * await using proxy = await startFaultProxy({ target: { host: '127.0.0.1', port: sim.port } })
 * const client = connect(proxy.url('/ws/api/v2'))
 * const fired = proxy.resetAfterServerReceives((m) => m.kind === 'text' && m.data.includes('private/buy'))
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { type ConnectionPolicy, ProxiedConnection, type ProxyDirection } from './proxiedConnection.js'
import type { TappedMessage, WsMessage } from './wsFrameTap.js'

export type { ProxyDirection } from './proxiedConnection.js'
export type { WsMessage, WsMessageKind } from './wsFrameTap.js'

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Where connections are forwarded. */
  target: { host: string; port: number }
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string
  /** Source of jitter samples in [0, 1), for reproducible runs. @default Math.random */
  random?: () => number
}

/** @default '127.0.0.1' */
export const DEFAULT_PROXY_HOST = '127.0.0.1'

/** Options of {@link FaultProxy.latency}. */
export interface LatencyOptions {
  /** One-way delay added to every chunk, FIN and reset, in each direction, in ms. */
  ms: number
  /** Up to this many ms more, drawn per chunk (order is still preserved). @default 0 */
  jitterMs?: number
}

/**
 * How {@link FaultProxy.refuse} refuses: `unlisten` stops listening, so connects fail with
 * ECONNREFUSED; `reset` accepts and resets at once (ECONNRESET before any byte is answered).
 */
export type RefuseMode = 'unlisten' | 'reset'

/** Called with every chunk a client sends towards the server (raw bytes: WebSocket frames are masked). */
export type ClientDataListener = (chunk: Buffer, connectionId: number) => void

/** A running proxy. Faults apply until {@link heal}; each says which connections it hits. */
export interface FaultProxy extends AsyncDisposable {
  /** The interface the proxy listens on. */
  readonly host: string
  /** The port the proxy listens on (kept across `refuse(true, 'unlisten')` / `refuse(false)`). */
  readonly port: number
  /** Proxied connections currently open (either socket still open). */
  readonly connections: number
  /** `ws://host:port{path}` (or `http://` with `scheme: 'http'`). */
  url(path?: string, scheme?: 'ws' | 'http'): string
  /**
   * Delays every chunk, FIN and reset by `ms` (+ jitter) in each direction, on current and future
   * connections, never reordering bytes. `latency({ ms: 0 })` turns it off for new traffic.
   */
  latency(options: LatencyOptions): void
  /** Destroys every current connection with a TCP RST on both sides. Returns how many. */
  reset(): number
  /**
   * Half-opens every current connection: nothing more is forwarded either way — bytes, FIN or
   * reset — and both sockets stay open, until {@link heal} (which then delivers what was held, as
   * TCP would after a partition) or {@link close}. New connections are not affected. Returns how many.
   */
  halfOpen(): number
  /** Delays forwarding a FIN or a reset by `ms`, on current and future connections; 0 turns it off. */
  slowClose(ms: number): void
  /**
   * Resets a connection once `bytes` bytes went through it in `direction` (the first `bytes` are
   * delivered), counting from now for current connections and from the start for new ones.
   */
  capBytes(bytes: number, direction: ProxyDirection | 'both'): void
  /** Refuses new connections (`true`) or accepts them again (`false`). Current ones are kept. */
  refuse(on: boolean, mode?: RefuseMode): Promise<void>
  /** Clears every fault: latency, slow close, caps, refusal, armed resets; releases half-open connections. */
  heal(): Promise<void>
  /** Taps client → server bytes. Returns the unsubscribe function. */
  onClientData(listener: ClientDataListener): () => void
  /**
   * Arms a one-shot reset: the first client → server chunk (on any connection) for which
   * `predicate` holds is forwarded, then that connection is cut: the client gets a TCP RST, the
   * server the whole chunk followed by an orderly FIN (a RST to the server could discard bytes
   * still in the kernel's send buffer; a WebSocket server sees 1006 either way). Raw bytes: use
   * {@link resetAfterServerReceives} for WebSocket content. Resolves true when it fired, false when
   * disarmed by {@link heal} or {@link close}.
   */
  resetAfterClientWrites(predicate: (chunk: Buffer) => boolean): Promise<boolean>
  /**
   * Arms a one-shot reset on the WebSocket level: client → server frames are unmasked and joined;
   * the first message for which `predicate` holds is forwarded up to its last byte (later bytes of
   * the same chunk are dropped), then that connection is cut as in {@link resetAfterClientWrites}.
   * The server reads the message; the client never sees its answer.
   * Resolves true when it fired, false when disarmed.
   */
  resetAfterServerReceives(predicate: (message: WsMessage) => boolean): Promise<boolean>
  /** Stops listening, resets every connection, clears every timer; resolves when all sockets are closed. */
  close(): Promise<void>
}

type Trigger =
  | { on: 'chunk'; predicate: (chunk: Buffer) => boolean; settle: (fired: boolean) => void }
  | { on: 'message'; predicate: (message: WsMessage) => boolean; settle: (fired: boolean) => void }

/** A predicate that throws counts as "no match": test code must not be able to crash the proxy. */
function holds<T>(predicate: (value: T) => boolean, value: T): boolean {
  try {
    return predicate(value) === true
  } catch {
    return false
  }
}

class FaultProxyServer implements FaultProxy {
  readonly host: string
  port = 0
  readonly #server: Server
  readonly #target: { host: string; port: number }
  readonly #random: () => number
  readonly #conns = new Set<ProxiedConnection>()
  readonly #listeners = new Set<ClientDataListener>()
  #triggers: Trigger[] = []
  #nextId = 1
  #latency = { ms: 0, jitterMs: 0 }
  #slowCloseMs = 0
  #caps: Partial<Record<ProxyDirection, number>> = {}
  #refusing: RefuseMode | undefined
  #closing: Promise<void> | undefined
  readonly #policy = this.#makePolicy()

  constructor(options: FaultProxyOptions) {
    this.host = options.host ?? DEFAULT_PROXY_HOST
    this.#target = options.target
    this.#random = options.random ?? Math.random
    this.#server = createServer({ allowHalfOpen: true }, (socket) => this.#accept(socket))
    // A listen error after start (refuse(false) losing its port) is reported by refuse(); never crash.
    this.#server.on('error', () => {})
  }

  async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err)
      this.#server.once('error', onError)
      this.#server.listen(port, this.host, () => {
        this.#server.off('error', onError)
        resolve()
      })
    })
    const address = this.#server.address()
    if (address === null || typeof address === 'string') throw new Error('fault proxy: unexpected address')
    this.port = address.port
  }

  get connections(): number {
    return this.#conns.size
  }

  url(path = '', scheme: 'ws' | 'http' = 'ws'): string {
    return `${scheme}://${this.host}:${this.port}${path}`
  }

  latency({ ms, jitterMs = 0 }: LatencyOptions): void {
    this.#latency = { ms: Math.max(0, ms), jitterMs: Math.max(0, jitterMs) }
  }

  reset(): number {
    const n = this.#conns.size
    for (const c of this.#conns) c.reset()
    return n
  }

  halfOpen(): number {
    for (const c of this.#conns) {
      c.up.hold()
      c.down.hold()
    }
    return this.#conns.size
  }

  slowClose(ms: number): void {
    this.#slowCloseMs = Math.max(0, ms)
  }

  capBytes(bytes: number, direction: ProxyDirection | 'both'): void {
    const dirs: ProxyDirection[] = direction === 'both' ? ['clientToServer', 'serverToClient'] : [direction]
    for (const d of dirs) {
      this.#caps[d] = Math.max(0, bytes)
      for (const c of this.#conns) (d === 'clientToServer' ? c.up : c.down).countedBytes = 0
    }
  }

  async refuse(on: boolean, mode: RefuseMode = 'unlisten'): Promise<void> {
    if (this.#closing !== undefined) return
    if (on) {
      this.#refusing = mode
      if (mode === 'unlisten' && this.#server.listening) this.#server.close()
      return
    }
    this.#refusing = undefined
    if (!this.#server.listening) await this.listen(this.port)
  }

  async heal(): Promise<void> {
    this.#latency = { ms: 0, jitterMs: 0 }
    this.#slowCloseMs = 0
    this.#caps = {}
    this.#disarm()
    for (const c of this.#conns) {
      c.up.release(true)
      c.down.release(true)
    }
    await this.refuse(false)
  }

  onClientData(listener: ClientDataListener): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  resetAfterClientWrites(predicate: (chunk: Buffer) => boolean): Promise<boolean> {
    return this.#arm((settle) => ({ on: 'chunk', predicate, settle }))
  }

  resetAfterServerReceives(predicate: (message: WsMessage) => boolean): Promise<boolean> {
    return this.#arm((settle) => ({ on: 'message', predicate, settle }))
  }

  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  /** What every connection reads for every chunk, FIN and reset. */
  #makePolicy(): ConnectionPolicy {
    return {
      delayMs: () => {
        const { ms, jitterMs } = this.#latency
        return jitterMs === 0 ? ms : ms + this.#random() * jitterMs
      },
      slowCloseMs: () => this.#slowCloseMs,
      capBytes: (direction) => this.#caps[direction],
      observeClientChunk: (chunk, connectionId) => {
        for (const listener of this.#listeners) {
          try {
            listener(chunk, connectionId)
          } catch {
            // A throwing tap is the test's bug, not a network fault; the bytes still flow.
          }
        }
      },
      cutClientChunk: (chunk, messages) => this.#cutClientChunk(chunk, messages),
    }
  }

  #cutClientChunk(chunk: Buffer, messages: readonly TappedMessage[]): number | undefined {
    let cutAt: number | undefined
    for (const trigger of [...this.#triggers]) {
      let at: number | undefined
      if (trigger.on === 'chunk') {
        if (holds(trigger.predicate, chunk)) at = chunk.length
      } else {
        at = messages.find((m) => holds(trigger.predicate, m.message))?.end
      }
      if (at === undefined) continue
      this.#triggers.splice(this.#triggers.indexOf(trigger), 1)
      trigger.settle(true)
      cutAt = Math.min(cutAt ?? at, at)
    }
    return cutAt
  }

  #arm(make: (settle: (fired: boolean) => void) => Trigger): Promise<boolean> {
    if (this.#closing !== undefined) return Promise.resolve(false)
    return new Promise<boolean>((resolve) => this.#triggers.push(make(resolve)))
  }

  #disarm(): void {
    for (const t of this.#triggers.splice(0)) t.settle(false)
  }

  #accept(client: Socket): void {
    client.on('error', () => {})
    if (this.#closing !== undefined || this.#refusing !== undefined) {
      client.resetAndDestroy()
      return
    }
    const upstream = connect({ host: this.#target.host, port: this.#target.port, allowHalfOpen: true })
    const conn = new ProxiedConnection(this.#nextId++, client, upstream, this.#policy)
    this.#conns.add(conn)
    void conn.closed.then(() => this.#conns.delete(conn))
  }

  async #close(): Promise<void> {
    this.#disarm()
    this.#listeners.clear()
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    const conns = [...this.#conns]
    for (const c of conns) c.reset()
    await Promise.all(conns.map((c) => c.closed))
    await serverClosed
  }
}

/** Starts a fault proxy listening on `host:port` (a free port by default) and forwarding to `target`. */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const proxy = new FaultProxyServer(options)
  await proxy.listen(options.port ?? 0)
  return proxy
}
