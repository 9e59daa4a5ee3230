/**
 * Exit codes and the one error type the CLI commands throw for bad input. Everything else a
 * command throws is a runtime failure (exit 1).
 */

/** The command did what was asked. */
export const EXIT_OK = 0
/** A runtime failure: unreachable URL, refused credentials, an exchange error, a store error. */
export const EXIT_FAILURE = 1
/** A usage error: unknown flag, missing argument, bad JSON. Nothing was sent anywhere. */
export const EXIT_USAGE = 2

/**
 * Bad command-line input. `runCli` prints its message (and a pointer to `--help`) and exits 2.
 *
 * @example
 * if (channels.length === 0) throw new UsageError('watch needs at least one channel')
 */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** The message of anything thrown, without a stack. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
