import { SYSTEM_TIMERS, type Timers } from '../transport/timers.js'
import type { SessionContext } from './sessionContext.js'

/**
 * The transport layer's timer seam plus a wall clock: token expiry is wall-clock time
 * (`expiresAt`), unlike the monotonic clocks used for pacing and heartbeats.
 */
export interface SchedulerTimers extends Timers {
  now(): number
}

/** How long before expiry to refresh, in milliseconds. */
export const DEFAULT_REFRESH_BEFORE_MS = 60_000
/** Fraction of the token lifetime after which to refresh when `refreshBeforeMs` is longer than the lifetime. */
export const SHORT_LIFETIME_REFRESH_FRACTION = 0.8
/** Longest delay `setTimeout` honours (2^31-1 ms, ~24.8 days); longer waits are chained. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647

/** Options of {@link RefreshScheduler}. */
export interface RefreshSchedulerOptions {
  /** Refresh this long before the access token expires. @default DEFAULT_REFRESH_BEFORE_MS */
  refreshBeforeMs?: number
  /** Called when a refresh is due. Errors it throws are swallowed (the scheduler is not its owner's error channel). */
  onDue: () => void
  /** @default global setTimeout/clearTimeout and Date.now */
  timers?: SchedulerTimers
}

const defaultTimers: SchedulerTimers = { ...SYSTEM_TIMERS, now: () => Date.now() }

/**
 * When a session's access token should be refreshed: `expiresAt - refreshBeforeMs`, or, when
 * `refreshBeforeMs` is not shorter than the lifetime, {@link SHORT_LIFETIME_REFRESH_FRACTION}
 * of the way through it (a 10 s token with a 60 s margin is refreshed after 8 s, not at once in a loop).
 */
export function refreshDueAt(
  ctx: Pick<SessionContext, 'expiresAt' | 'createdAt' | 'lastRefreshedAt'>,
  refreshBeforeMs: number,
): number {
  const issuedAt = ctx.lastRefreshedAt ?? ctx.createdAt
  const lifetimeMs = ctx.expiresAt - issuedAt
  if (lifetimeMs <= 0) return ctx.expiresAt
  if (refreshBeforeMs >= lifetimeMs) return issuedAt + lifetimeMs * SHORT_LIFETIME_REFRESH_FRACTION
  return ctx.expiresAt - Math.max(0, refreshBeforeMs)
}

/** Fires `onDue` once per scheduled session, shortly before its token expires. At most one timer exists. */
export class RefreshScheduler {
  readonly #refreshBeforeMs: number
  readonly #onDue: () => void
  readonly #timers: SchedulerTimers
  #handle: unknown
  #dueAt: number | undefined

  constructor(options: RefreshSchedulerOptions) {
    this.#refreshBeforeMs = options.refreshBeforeMs ?? DEFAULT_REFRESH_BEFORE_MS
    this.#onDue = options.onDue
    this.#timers = options.timers ?? defaultTimers
  }

  /** When the pending refresh fires (ms since epoch), or undefined when nothing is scheduled. */
  get dueAt(): number | undefined {
    return this.#dueAt
  }

  /** Replaces any pending timer with one for `ctx`. */
  schedule(ctx: Pick<SessionContext, 'expiresAt' | 'createdAt' | 'lastRefreshedAt'>): void {
    this.cancel()
    this.#dueAt = refreshDueAt(ctx, this.#refreshBeforeMs)
    this.#arm()
  }

  /** Drops the pending timer, if any. */
  cancel(): void {
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle)
    this.#handle = undefined
    this.#dueAt = undefined
  }

  #arm(): void {
    const dueAt = this.#dueAt
    if (dueAt === undefined) return
    const delayMs = Math.max(0, dueAt - this.#timers.now())
    const chained = delayMs > MAX_TIMER_DELAY_MS
    this.#handle = this.#timers.setTimeout(
      () => {
        this.#handle = undefined
        if (chained) return this.#arm()
        this.#dueAt = undefined
        try {
          this.#onDue()
        } catch {
          // The owner reports refresh failures itself; a throw here must not kill the timer loop.
        }
      },
      chained ? MAX_TIMER_DELAY_MS : delayMs,
    )
  }
}
