/**
 * The clock seam: code that waits takes a {@link Timers} (and a `now` function) so tests can
 * drive it with fake timers. The defaults look the globals up at call time, so `vi.useFakeTimers()`
 * also reaches code constructed before it was installed.
 */
export interface Timers {
  /** Calls `callback` once after `delayMs` ms; returns a handle for `clearTimeout`. */
  setTimeout(callback: () => void, delayMs: number): unknown
  /** Cancels a timer by the handle `setTimeout` returned; ignores unknown or spent handles. */
  clearTimeout(handle: unknown): void
}

/** The platform's timers. */
export const SYSTEM_TIMERS: Timers = Object.freeze({
  setTimeout: (callback: () => void, delayMs: number): unknown => setTimeout(callback, delayMs),
  clearTimeout: (handle: unknown): void => clearTimeout(handle as ReturnType<typeof setTimeout> | undefined),
})

/** A monotonic clock in milliseconds (immune to wall-clock jumps). */
export const monotonicNow = (): number => performance.now()
