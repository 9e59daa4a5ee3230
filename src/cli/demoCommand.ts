import { EXIT_OK, UsageError } from './cliErrors.js'
import { parseFlags } from './flags.js'

/** `deribit-session demo --help`. */
export const DEMO_HELP = `Usage: deribit-session demo [options]

Runs a scripted bot on an embedded simulator through the whole story: signature auth,
subscriptions, orders, an exchange to a subaccount, a fork into a named session, a refresh, an
abrupt drop, a half-open socket and logout, printing one line per transition. Ends with checks
that no stream stalled and no order was lost or placed twice; exits 0 only when they hold.
It always runs on the simulator (it injects faults), so it takes no --url.

Options:
  --json        Print one JSON line {ok, failures, ms} instead of the timeline
  -h, --help    Show this help
`

/**
 * `deribit-session demo` (also `npm start`): checks the flags, then runs the scripted demo.
 *
 * @example
 * process.exitCode = await runDemoCommand([])
 */
export async function runDemoCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('demo', argv, { json: { type: 'boolean' } })
  if (values.help) {
    process.stdout.write(DEMO_HELP)
    return EXIT_OK
  }
  if (positionals.length > 0) throw new UsageError(`demo takes no arguments (got '${positionals[0]}')`)
  process.stderr.write('deribit-session demo: running on an embedded simulator; nothing reaches an exchange\n')
  const { runDemo } = await import('./demo.js')
  return runDemo(values.json ? ['--json'] : [])
}
