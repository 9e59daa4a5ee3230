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
 * value, a value for a switch) turned into a {@link UsageError} in plain words, so the CLI exits 2
 * with a clear message instead of a stack trace. A negative number after a flag that takes a value
 * (`--seed -5`) is that flag's value, not an unknown flag. `--help`/`-h` is always accepted.
 *
 * @example
 * const { values, positionals } = parseFlags('watch', argv, { json: { type: 'boolean' } })
 */
export function parseFlags(command: string, argv: readonly string[], options: OptionsConfig): ParsedFlags {
  const all: OptionsConfig = { ...options, help: { type: 'boolean', short: 'h' } }
  try {
    const parsed = parseArgs({
      args: joinNegativeValues(argv, all),
      options: all,
      allowPositionals: true,
      strict: true,
    })
    return { values: parsed.values as ParsedFlags['values'], positionals: parsed.positionals }
  } catch (error) {
    throw new UsageError(`${command}: ${explainParseError(error, all)}`)
  }
}

/** `--count -1` → `--count=-1`: parseArgs would otherwise take `-1` for a flag of its own. */
function joinNegativeValues(argv: readonly string[], options: OptionsConfig): string[] {
  const args: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    const next = argv[i + 1]
    if (arg === '--') {
      args.push(...argv.slice(i))
      break
    }
    const name = arg.startsWith('--') ? arg.slice(2) : undefined
    if (name !== undefined && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      args.push(`${arg}=${next}`)
      i++
    } else {
      args.push(arg)
    }
  }
  return args
}

/** parseArgs' error in the CLI's words, naming the flag and what it wants. */
function explainParseError(error: unknown, options: OptionsConfig): string {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown }).code
  const flag = /(?:option|Option) '(-{1,2}[^' ]+)/.exec(message)?.[1]
  const known = Object.keys(options).map((name) => `--${name}`)
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag !== undefined) {
    return `unknown option '${flag}'; the options are ${known.join(', ')}`
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
    const name = flag.replace(/^-+/, '')
    if (options[name]?.type === 'boolean') return `${flag} is a switch and takes no value`
    return `${flag} needs a value: ${flag} VALUE (a value starting with '-' goes as ${flag}=VALUE)`
  }
  return message
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
    const kind = integer ? 'a whole number' : 'a number'
    const range = max === Number.MAX_SAFE_INTEGER ? `of ${min} or more` : `from ${min} to ${max}`
    throw new UsageError(`--${name} needs ${kind} ${range}, got '${raw}'`)
  }
  return n
}
