/**
 * The logging seam of the client. Every layer logs through this interface; messages and meta
 * never contain tokens, secrets, request params or raw frames (which may carry tokens).
 */
export interface Logger {
  /** Detail for diagnosing (frames counted, timers armed, socket errors handled). */
  debug(msg: string, meta?: Record<string, unknown>): void
  /** Normal lifecycle steps (connected, refreshed, resubscribed). */
  info(msg: string, meta?: Record<string, unknown>): void
  /** Trouble the client recovers from (a drop, a refused channel, a revoked session). */
  warn(msg: string, meta?: Record<string, unknown>): void
  /** Trouble it cannot recover from by itself. */
  error(msg: string, meta?: Record<string, unknown>): void
}

const noop = (): void => {}

/** A logger that drops everything; the default of every layer. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop })
