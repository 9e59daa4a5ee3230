import type { Socket } from 'node:net'

/** What a lane carries, each released at `dueMs` and never before an earlier item. */
export type LaneItem =
  | { kind: 'data'; chunk: Buffer; dueMs: number }
  /** Forward the source's FIN. */
  | { kind: 'end'; dueMs: number }
  /**
   * Cut the connection once everything before it was handed to the kernel; `deliver`: the
   * destination gets an orderly FIN instead of a RST, so those bytes cannot be discarded.
   */
  | { kind: 'cut'; deliver: boolean; dueMs: number }

/**
 * One direction of a proxied connection: an ordered, timed queue in front of the destination
 * socket. Items keep their order whatever their delays (latency with jitter never reorders
 * bytes), and a held lane keeps everything until released (half-open).
 */
export class ProxyLane {
  /** Bytes accepted into the lane since the connection opened or the byte cap was set. */
  countedBytes = 0
  /** No more items are accepted (a cut is queued or done). */
  dead = false
  #queue: LaneItem[] = []
  #lastDueMs = 0
  #held = false
  #timer: NodeJS.Timeout | undefined
  #pendingWrites = 0
  #cutWaiting: { deliver: boolean } | undefined

  constructor(
    private readonly to: Socket,
    private readonly onCut: (deliver: boolean) => void,
  ) {}

  /** Queues an item due `delayMs` from now, but never before the item ahead of it. */
  push(
    item: { kind: 'data'; chunk: Buffer } | { kind: 'end' } | { kind: 'cut'; deliver: boolean },
    delayMs: number,
  ): void {
    if (this.dead) return
    if (item.kind === 'cut') this.dead = true
    this.#lastDueMs = Math.max(this.#lastDueMs, Date.now() + delayMs)
    this.#queue.push({ ...item, dueMs: this.#lastDueMs })
    this.#drain()
  }

  /** Stops releasing items (they stay queued, as TCP would retransmit them after a partition). */
  hold(): void {
    this.#held = true
    this.#clearTimer()
  }

  /** Releases held items; `now` also makes every queued item due at once (healing latency). */
  release(now = false): void {
    this.#held = false
    if (now) {
      this.#lastDueMs = 0
      for (const item of this.#queue) item.dueMs = 0
    }
    this.#drain()
  }

  get held(): boolean {
    return this.#held
  }

  /** Drops everything queued and the timer (the connection is gone). */
  dispose(): void {
    this.dead = true
    this.#queue = []
    this.#clearTimer()
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #drain(): void {
    this.#clearTimer()
    if (this.#held) return
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!
      const waitMs = head.dueMs - Date.now()
      if (waitMs > 0) {
        this.#timer = setTimeout(() => this.#drain(), waitMs)
        return
      }
      this.#queue.shift()
      this.#execute(head)
    }
  }

  #execute(item: LaneItem): void {
    if (item.kind === 'cut') {
      // Bytes written before the cut reach the peer first; the reset follows them.
      if (this.#pendingWrites === 0) this.onCut(item.deliver)
      else this.#cutWaiting = { deliver: item.deliver }
      return
    }
    if (this.to.destroyed) return
    if (item.kind === 'end') {
      this.to.end()
      return
    }
    this.#pendingWrites++
    this.to.write(item.chunk, () => {
      this.#pendingWrites--
      const waiting = this.#cutWaiting
      if (waiting !== undefined && this.#pendingWrites === 0) {
        this.#cutWaiting = undefined
        this.onCut(waiting.deliver)
      }
    })
  }
}
