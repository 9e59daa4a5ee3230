import { EXIT_OK, UsageError } from './cliErrors.js'
import { numberFlag, parseFlags, stringFlag } from './flags.js'

/** `deribit-session simulator --help`. */
export const SIMULATOR_HELP = `Usage: deribit-session simulator [options]

Serves a Deribit simulator (WebSocket at /ws/api/v2, HTTP at /api/v2/{method}) until Ctrl-C or
SIGTERM. Prints one JSON line on stdout first, for a bot in any language to read:
  {"url":"ws://127.0.0.1:PORT/ws/api/v2","httpUrl":"http://127.0.0.1:PORT",
   "clientId":"…","clientSecret":"…","mainAccountId":100001,"subaccountIds":[…]}
(the account is a throwaway made for this run, so its secret is printed on purpose).

Options:
  --port N              TCP port (default 0: any free port)
  --host H              Interface (default 127.0.0.1)
  --seed S              Seed of the market generator (default 1)
  --token-lifetime SEC  expires_in of access tokens (default 900)
  --subaccounts N       Subaccounts of the created account (default 0)
  -h, --help            Show this help
`

/**
 * `deribit-session simulator`: validates the flags (so a typo is a usage error, exit 2) and
 * hands them to `serveSimulator`, which prints the JSON line and serves until a signal.
 *
 * @example
 * // deribit-session simulator --port 8080 --subaccounts 2
 * process.exitCode = await runSimulator(['--port', '8080', '--subaccounts', '2'])
 */
export async function runSimulator(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('simulator', argv, {
    port: { type: 'string' },
    host: { type: 'string' },
    seed: { type: 'string' },
    'token-lifetime': { type: 'string' },
    subaccounts: { type: 'string' },
  })
  if (values.help) {
    process.stdout.write(SIMULATOR_HELP)
    return EXIT_OK
  }
  if (positionals.length > 0) throw new UsageError(`simulator takes no arguments (got '${positionals[0]}')`)
  const forwarded: string[] = []
  const forward = (name: string, value: number | string | undefined) => {
    if (value !== undefined) forwarded.push(`--${name}`, String(value))
  }
  forward('port', values.port === undefined ? undefined : numberFlag(values, 'port', 0, { max: 65_535 }))
  forward('host', stringFlag(values, 'host'))
  forward('seed', values.seed === undefined ? undefined : numberFlag(values, 'seed', 1, { min: -(2 ** 31) }))
  forward(
    'token-lifetime',
    values['token-lifetime'] === undefined ? undefined : numberFlag(values, 'token-lifetime', 900, { min: 1 }),
  )
  forward(
    'subaccounts',
    values.subaccounts === undefined ? undefined : numberFlag(values, 'subaccounts', 0, { max: 100 }),
  )
  const { serveSimulator } = await import('../simulator/serve.js')
  await serveSimulator(forwarded)
  return EXIT_OK
}
