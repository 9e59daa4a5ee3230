/**
 * Structured fields of one log line: small JSON values (ids, epochs, codes, error messages).
 * Never tokens, secrets, request params or raw frames (which may carry tokens).
 */
export type LogFields = Record<string, unknown>

/**
 * The logging seam of the client. Every layer logs through this interface.
 *
 * The argument order is pino's and bunyan's, `(fields, message)`, so a pino or bunyan logger
 * (or a child of one) can be passed as it is: the fields become the line's properties and the
 * message its `msg`. `fields` is always an object, empty when a line has nothing to add.
 * `console` fits too: `console.warn(fields, message)` prints both.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * const client = new DeribitClient({ logger: pino({ level: 'debug' }) })
 * ```
 */
export interface Logger {
  /** Detail for diagnosing (frames counted, timers armed, socket errors handled). */
  debug(fields: LogFields, msg: string): void
  /** Normal lifecycle steps (connected, refreshed, resubscribed). */
  info(fields: LogFields, msg: string): void
  /** Trouble the client recovers from (a drop, a refused channel, a revoked session). */
  warn(fields: LogFields, msg: string): void
  /** Trouble it cannot recover from by itself. */
  error(fields: LogFields, msg: string): void
}

const noop = (): void => {}

/** A logger that drops everything; the default of every layer. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop })
