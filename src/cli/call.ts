import { text } from 'node:stream/consumers'
import { DeribitError } from '../errors.js'
import { EXIT_FAILURE, EXIT_OK, messageOf, UsageError } from './cliErrors.js'
import { numberFlag, parseFlags, stringFlag } from './flags.js'
import { redactSecrets } from './redactSecrets.js'
import {
  connectClient,
  DEFAULT_CLI_TIMEOUT_MS,
  ENV_CLIENT_ID,
  openTarget,
  stderrLogger,
  TESTNET_URL,
} from './target.js'

/** `deribit-session call --help`. */
export const CALL_HELP = `Usage: deribit-session call <method> [params-json] [options]

Calls one JSON-RPC method and prints its result as JSON on stdout. An error from the exchange
is printed on stderr with its code, and the exit code is 1. Tokens in a result are redacted.

Arguments:
  method           e.g. public/get_time, public/get_order_book, private/get_open_orders_by_currency
  params-json      A JSON object, e.g. '{"instrument_name":"BTC-PERPETUAL"}'; '-' reads it from stdin

Options:
  --compact        One line of JSON instead of indented
  --url URL        Exchange WebSocket URL (default: $DERIBIT_URL, else an embedded simulator)
                   testnet: ${TESTNET_URL}
  --timeout MS     Connect and call deadline (default ${DEFAULT_CLI_TIMEOUT_MS})
  --verbose        Client diagnostics on stderr
  -h, --help       Show this help

private/ methods need DERIBIT_CLIENT_ID and DERIBIT_CLIENT_SECRET with --url (or DERIBIT_URL); with
the key set but no URL they are refused rather than run on the embedded simulator.

Examples:
  deribit-session call public/get_time
  deribit-session call public/ticker '{"instrument_name":"BTC-PERPETUAL"}' | jq .mark_price
  DERIBIT_URL=${TESTNET_URL} deribit-session call public/get_instruments '{"currency":"BTC"}'
`

const METHOD = /^(public|private)\/[a-z_0-9]+$/

/**
 * `deribit-session call <method> [params-json]`: one JSON-RPC call, result as JSON on stdout.
 * Bad method or params → usage error (exit 2, nothing sent); exchange error → code and message
 * on stderr, exit 1. Resolves with the exit code.
 *
 * @example
 * // deribit-session call public/get_order_book '{"instrument_name":"BTC-PERPETUAL","depth":1}'
 * process.exitCode = await runCall(['public/get_order_book', '{"instrument_name":"BTC-PERPETUAL","depth":1}'])
 */
export async function runCall(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('call', argv, {
    compact: { type: 'boolean' },
    url: { type: 'string' },
    timeout: { type: 'string' },
    verbose: { type: 'boolean' },
  })
  if (values.help) {
    process.stdout.write(CALL_HELP)
    return EXIT_OK
  }
  const [method, rawParams, ...extra] = positionals
  if (method === undefined) throw new UsageError('call needs a method, e.g. public/get_time')
  if (!METHOD.test(method)) throw new UsageError(`'${method}' is not a method name; they look like public/get_time`)
  if (extra.length > 0) throw new UsageError(`call takes one params-json argument; quote it ('{"a":1}')`)
  const params = parseParams(rawParams === '-' ? await text(process.stdin) : rawParams)
  const timeoutMs = numberFlag(values, 'timeout', DEFAULT_CLI_TIMEOUT_MS, { min: 1 })

  const privateWork = method.startsWith('private/') ? method : undefined
  await using target = await openTarget(stringFlag(values, 'url'), process.env, privateWork)
  const client = await connectClient(target, {
    timeoutMs,
    ...(values.verbose ? { logger: stderrLogger() } : {}),
  })
  try {
    const result = await client.callUntyped(method, params, { timeoutMs })
    process.stdout.write(`${JSON.stringify(redactSecrets(result), null, values.compact ? undefined : 2)}\n`)
    return EXIT_OK
  } catch (error) {
    process.stderr.write(`${describeCallError(method, error)}\n`)
    if (method.startsWith('private/') && target.credentials === undefined) {
      process.stderr.write(`hint: private methods need an API key: set ${ENV_CLIENT_ID} and DERIBIT_CLIENT_SECRET\n`)
    }
    return EXIT_FAILURE
  } finally {
    await client.close()
  }
}

/** `error CODE: message` for an exchange error (plus its data), the message otherwise. */
function describeCallError(method: string, error: unknown): string {
  if (error instanceof DeribitError && error.exchangeCode !== undefined) {
    // errorFromExchange formats "METHOD failed: MESSAGE (CODE)"; the code leads here instead.
    const message = error.message.replace(`${method} failed: `, '').replace(` (${error.exchangeCode})`, '')
    const data = error.data === undefined ? '' : `\n${JSON.stringify(redactSecrets(error.data))}`
    return `error ${error.exchangeCode}: ${message}${data}`
  }
  const code = error instanceof DeribitError ? ` (${error.code})` : ''
  return `error: ${messageOf(error)}${code}`
}

/** The params argument as an object; a {@link UsageError} for anything else. */
export function parseParams(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined || raw.trim() === '') return undefined
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch (error) {
    throw new UsageError(`params-json is not valid JSON (${messageOf(error)}); quote it: '{"currency":"BTC"}'`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('params-json must be a JSON object, e.g. \'{"currency":"BTC"}\'')
  }
  return parsed as Record<string, unknown>
}
