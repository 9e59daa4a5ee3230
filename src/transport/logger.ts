/**
 * The logging seam of the client. Every layer logs through this interface; messages and meta
 * never contain tokens, secrets, request params or raw frames (which may carry tokens).
 */
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void
  info(msg: string, meta?: Record<string, unknown>): void
  warn(msg: string, meta?: Record<string, unknown>): void
  error(msg: string, meta?: Record<string, unknown>): void
}

const noop = (): void => {}

/** A logger that drops everything; the default of every layer. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop })
