import type { Socket } from 'node:net'
import { ProxyLane } from './proxyLane.js'
import { type TappedMessage, WsFrameTap } from './wsFrameTap.js'

/** A direction through the proxy. */
export type ProxyDirection = 'clientToServer' | 'serverToClient'

/** The proxy-wide fault settings a connection consults for every chunk, FIN and reset. */
export interface ConnectionPolicy {
  /** One-way delay of the next item (latency plus a jitter sample), in ms. */
  delayMs(): number
  /** Extra delay of a forwarded FIN or reset, in ms. */
  slowCloseMs(): number
  /** Bytes a direction may carry before the connection is cut, or undefined. */
  capBytes(direction: ProxyDirection): number | undefined
  /** Every client → server chunk, before forwarding (taps). */
  observeClientChunk(chunk: Buffer, connectionId: number): void
  /** How many bytes of a client → server chunk to forward before a reset, or undefined to forward all. */
  cutClientChunk(chunk: Buffer, messages: readonly TappedMessage[]): number | undefined
}

/** A client socket, its upstream socket and the two lanes between them. */
export class ProxiedConnection {
  /** client → server */
  readonly up: ProxyLane
  /** server → client */
  readonly down: ProxyLane
  /** Resolves once both sockets are closed and the lanes released. */
  readonly closed: Promise<void>
  readonly #tap = new WsFrameTap()

  constructor(
    readonly id: number,
    readonly client: Socket,
    readonly upstream: Socket,
    private readonly policy: ConnectionPolicy,
  ) {
    this.up = new ProxyLane(upstream, (deliver) => (deliver ? this.#resetClientEndServer() : this.reset()))
    this.down = new ProxyLane(client, () => this.reset())
    for (const s of [client, upstream]) {
      s.setNoDelay(true)
      // Socket errors (ECONNRESET, ECONNREFUSED) end in 'close', where they are forwarded.
      s.on('error', () => {})
    }
    client.on('data', (chunk: Buffer) => this.#fromClient(chunk))
    upstream.on('data', (chunk: Buffer) => this.#forward(this.down, 'serverToClient', chunk))
    client.on('end', () => this.up.push({ kind: 'end' }, this.#closeDelayMs()))
    upstream.on('end', () => this.down.push({ kind: 'end' }, this.#closeDelayMs()))
    const closedOne = (s: Socket, lane: ProxyLane) =>
      new Promise<void>((resolve) => {
        s.once('close', (hadError: boolean) => {
          // A reset or a failed connect travels on as a reset (an orderly close already sent its FIN).
          if (hadError) lane.push({ kind: 'cut', deliver: false }, this.#closeDelayMs())
          resolve()
        })
      })
    this.closed = Promise.all([closedOne(client, this.up), closedOne(upstream, this.down)]).then(() => {
      this.up.dispose()
      this.down.dispose()
    })
  }

  /** Destroys both sockets with a TCP RST. */
  reset(): void {
    this.up.dead = true
    this.down.dead = true
    for (const s of [this.client, this.upstream]) {
      if (s.destroyed) continue
      // A socket that never connected has no TCP handle to reset; destroying it is the same to the peer.
      if (s.connecting || s.readyState === 'closed') s.destroy()
      else s.resetAndDestroy()
    }
  }

  /**
   * After a message the server must read: the client gets a RST, the server an orderly FIN (a RST
   * could discard bytes still in the kernel's send buffer), which a WebSocket server without a
   * close frame still sees as an abnormal closure (1006).
   */
  #resetClientEndServer(): void {
    this.up.dead = true
    this.down.dead = true
    if (!this.client.destroyed) this.client.resetAndDestroy()
    this.upstream.end()
  }

  #closeDelayMs(): number {
    return this.policy.delayMs() + this.policy.slowCloseMs()
  }

  #fromClient(chunk: Buffer): void {
    this.policy.observeClientChunk(chunk, this.id)
    const messages = this.#tap.push(chunk)
    const cutAt = this.policy.cutClientChunk(chunk, messages)
    if (cutAt === undefined) {
      this.#forward(this.up, 'clientToServer', chunk)
      return
    }
    // From now on nothing reaches the client, so it cannot see the answer to what it just sent.
    this.down.dead = true
    this.#forward(this.up, 'clientToServer', chunk.subarray(0, cutAt))
    this.up.push({ kind: 'cut', deliver: true }, this.policy.delayMs())
  }

  #forward(lane: ProxyLane, direction: ProxyDirection, chunk: Buffer): void {
    if (lane.dead) return
    const cap = this.policy.capBytes(direction)
    const delayMs = this.policy.delayMs()
    if (cap !== undefined && lane.countedBytes + chunk.length >= cap) {
      const allowed = Math.max(0, cap - lane.countedBytes)
      lane.countedBytes += allowed
      if (allowed > 0) lane.push({ kind: 'data', chunk: chunk.subarray(0, allowed) }, delayMs)
      lane.push({ kind: 'cut', deliver: false }, delayMs)
      return
    }
    lane.countedBytes += chunk.length
    if (chunk.length > 0) lane.push({ kind: 'data', chunk }, delayMs)
  }
}
