/** The simulator's time source: ms for tokens and handlers, integer µs for `usIn`/`usOut`. */
export interface Clock {
  nowMs(): number
  nowUs(): number
}

/** A clock over an injected ms clock, or over the high-resolution system clock. */
export function createClock(now?: () => number): Clock {
  if (now !== undefined) {
    return { nowMs: now, nowUs: () => Math.round(now() * 1000) }
  }
  return {
    nowMs: Date.now,
    nowUs: () => Math.round((performance.timeOrigin + performance.now()) * 1000),
  }
}
