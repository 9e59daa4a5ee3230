/** Retry delays: a pure function of the attempt number, exponential, capped and jittered. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. @default 250 */
  initialDelayMs: number
  /** Upper bound of any delay, in ms. @default 10_000 */
  maxDelayMs: number
  /** Growth per attempt (values below 1 count as 1). @default 2 */
  factor: number
  /**
   * Fraction (0..1) of the delay that is randomised. The random part is subtracted, so a delay
   * lies in `[d * (1 - jitter), d]` and never exceeds `maxDelayMs`. @default 0.3
   */
  jitter: number
}

/** The defaults: 250 ms, doubling, capped at 10 s, 30 % jitter. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialDelayMs: 250,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.3,
})

/**
 * The delay before retry number `attempt` (0 is the first retry), in ms.
 * Out-of-range inputs are clamped rather than thrown on, so a bad option cannot stop reconnecting.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = attempt > 0 && Number.isFinite(attempt) ? Math.floor(attempt) : 0
  const initial = Math.max(0, options.initialDelayMs)
  const cap = Math.max(initial, options.maxDelayMs)
  const factor = Math.max(1, options.factor)
  const base = Math.min(cap, initial * factor ** n)
  const jitter = Math.min(1, Math.max(0, options.jitter))
  if (jitter === 0) return base
  const r = Math.min(1, Math.max(0, random()))
  return base - base * jitter * r
}

/**
 * The delay before reconnect number `retry` since the last socket that stayed up (0 is the
 * first), in ms: the curve the socket follows.
 *
 * - Retry 0 goes out at once (0 ms). A socket that was up has just dropped; the exchange most
 *   likely still answers, and every millisecond waited is a millisecond blind. A fleet that lost
 *   the exchange together does not come back as a herd because of this: if the exchange is down,
 *   each client's first attempt fails fast and the jittered backoff below spreads the rest.
 * - Retry n ≥ 1 waits `backoffDelay(n - 1)`: `initialDelayMs` (less up to `jitter` of it), then
 *   growing by `factor` up to `maxDelayMs`. A flapping link (sockets that drop before they were
 *   stable) keeps counting retries, so it still backs off.
 *
 * With the defaults: 0, 175–250, 350–500, 700–1,000 ms, … capped at 7–10 s.
 */
export function reconnectDelay(
  retry: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const n = retry > 0 && Number.isFinite(retry) ? Math.floor(retry) : 0
  return n === 0 ? 0 : backoffDelay(n - 1, options, random)
}
