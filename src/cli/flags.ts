import { type ParseArgsConfig, parseArgs } from 'node:util'
import { UsageError } from './cliErrors.js'

type OptionsConfig = NonNullable<ParseArgsConfig['options']>

/** What {@link parseFlags} returns: the flag values by name and the positional arguments. */
export interface ParsedFlags {
  values: Record<string, string | boolean | undefined>
  positionals: string[]
}

/**
 * `node:util` parseArgs in strict mode, with every one of its complaints (unknown flag, missing
 * value) turned into a {@link UsageError} naming the command, so the CLI exits 2 with a clear
 * message instead of a stack trace. `--help`/`-h` is always accepted.
 *
 * @example
 * const { values, positionals } = parseFlags('watch', argv, { json: { type: 'boolean' } })
 */
export function parseFlags(command: string, argv: readonly string[], options: OptionsConfig): ParsedFlags {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
    return { values: parsed.values as ParsedFlags['values'], positionals: parsed.positionals }
  } catch (error) {
    // parseArgs messages are good ("Unknown option '--jsn'"); only the hint is ours.
    const message = error instanceof Error ? error.message.replace(/\. To specify a positional.*$/s, '') : String(error)
    throw new UsageError(`${command}: ${message}`)
  }
}

/** A flag's value as a string, or undefined when absent. */
export function stringFlag(values: ParsedFlags['values'], name: string): string | undefined {
  const value = values[name]
  return typeof value === 'string' ? value : undefined
}

/**
 * A flag's value as a number within `[min, max]`, or `fallback` when absent.
 * Throws a {@link UsageError} for anything else (`--timeout soon`, `--count -1`).
 */
export function numberFlag(
  values: ParsedFlags['values'],
  name: string,
  fallback: number,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  const raw = stringFlag(values, name)
  if (raw === undefined) return fallback
  const n = Number(raw)
  const { min = 0, max = Number.MAX_SAFE_INTEGER, integer = true } = range
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`--${name} needs ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got '${raw}'`)
  }
  return n
}
