import { monotonicNow, SYSTEM_TIMERS, type Timers } from './timers.js'

/** Options of {@link IdleWatchdog}. */
export interface IdleWatchdogOptions {
  /** Silence, in ms, after which the connection counts as dead. */
  timeoutMs: number
  /** Called once when `timeoutMs` passed without a `touch()`; the watchdog then stops. */
  onIdle: () => void
  /** Timer source. @default the platform's timers */
  timers?: Timers | undefined
  /** Monotonic clock in ms. @default performance.now */
  now?: (() => number) | undefined
}

/**
 * Detects a half-open socket: if no frame arrives for `timeoutMs`, `onIdle` fires (the owner
 * then drops the socket). `touch()` runs on every received frame, so it only records the time;
 * a single timer re-arms itself for the remaining quiet time instead of one timer per frame.
 */
export class IdleWatchdog {
  readonly #timeoutMs: number
  readonly #onIdle: () => void
  readonly #timers: Timers
  readonly #now: () => number
  #lastSeen = 0
  #timer: unknown
  #running = false

  constructor(options: IdleWatchdogOptions) {
    this.#timeoutMs = options.timeoutMs
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
    this.#lastSeen = this.#now()
    this.#arm(this.#timeoutMs)
  }

  /** Records traffic. Cheap: no timer work. */
  touch(): void {
    this.#lastSeen = this.#now()
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
    const quietMs = this.#now() - this.#lastSeen
    if (quietMs < this.#timeoutMs) {
      this.#arm(this.#timeoutMs - quietMs)
      return
    }
    this.#running = false
    this.#onIdle()
  }
}
