import { monotonicNow, SYSTEM_TIMERS, type Timers } from './timers.js'

/** Options of {@link IdleWatchdog}. */
export interface IdleWatchdogOptions {
  /** Silence, in ms, after which the connection counts as dead. */
  timeoutMs: number
  /** Called once when `timeoutMs` passed without a `touch()`; the watchdog then stops. */
  onIdle: () => void
  /**
   * How late `onIdle` may fire: it fires between `timeoutMs` and `timeoutMs + resolutionMs` after
   * the last `touch()`, never earlier. The watchdog's single timer ticks this often.
   * @default min({@link DEFAULT_IDLE_RESOLUTION_MS}, timeoutMs / 4)
   */
  resolutionMs?: number | undefined
  /** Timer source. @default the platform's timers */
  timers?: Timers | undefined
  /** Monotonic clock in ms. @default performance.now */
  now?: (() => number) | undefined
}

/** Upper bound of the default {@link IdleWatchdogOptions.resolutionMs}, in ms. */
export const DEFAULT_IDLE_RESOLUTION_MS = 1_000

/**
 * Detects a half-open socket: if no frame arrives for `timeoutMs`, `onIdle` fires (the owner
 * then drops the socket). `touch()` runs on every received frame, so it only sets a flag (no
 * clock read, no timer work); a single timer ticks every `resolutionMs`, and the first tick that
 * finds the flag set stamps the time. The stamp is never earlier than the frame, so silence is
 * never overestimated: `onIdle` never fires early, and at most `resolutionMs` late.
 */
export class IdleWatchdog {
  readonly #timeoutMs: number
  readonly #resolutionMs: number
  readonly #onIdle: () => void
  readonly #timers: Timers
  readonly #now: () => number
  /** Set by `touch()`, cleared by the tick that stamps it. */
  #touched = false
  /** A time no earlier than the last frame seen. */
  #lastSeen = 0
  #timer: unknown
  #running = false

  constructor(options: IdleWatchdogOptions) {
    this.#timeoutMs = options.timeoutMs
    this.#resolutionMs = Math.max(
      1,
      options.resolutionMs ?? Math.min(DEFAULT_IDLE_RESOLUTION_MS, options.timeoutMs / 4),
    )
    this.#onIdle = options.onIdle
    this.#timers = options.timers ?? SYSTEM_TIMERS
    this.#now = options.now ?? monotonicNow
  }

  /** Whether the watchdog is armed. */
  get running(): boolean {
    return this.#running
  }

  /** Arms the watchdog; the quiet period starts now. Idempotent. */
  start(): void {
    if (this.#running) return
    this.#running = true
    this.#touched = false
    this.#lastSeen = this.#now()
    this.#arm(Math.min(this.#resolutionMs, this.#timeoutMs))
  }

  /** Records traffic. Per-frame hot path: sets a flag, nothing else. */
  touch(): void {
    this.#touched = true
  }

  /** Disarms the watchdog and releases its timer. */
  stop(): void {
    this.#running = false
    if (this.#timer !== undefined) {
      this.#timers.clearTimeout(this.#timer)
      this.#timer = undefined
    }
  }

  #arm(delayMs: number): void {
    this.#timer = this.#timers.setTimeout(this.#check, delayMs)
  }

  readonly #check = (): void => {
    this.#timer = undefined
    if (!this.#running) return
    const now = this.#now()
    if (this.#touched) {
      this.#touched = false
      this.#lastSeen = now
    }
    const quietMs = now - this.#lastSeen
    if (quietMs < this.#timeoutMs) {
      this.#arm(Math.min(this.#resolutionMs, this.#timeoutMs - quietMs))
      return
    }
    this.#running = false
    this.#onIdle()
  }
}
