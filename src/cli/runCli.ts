/**
 * The `deribit-session` command. Each subcommand lives in its own module and is loaded only
 * when asked for, so `--help` and `simulator` start fast.
 */
import { readFile } from 'node:fs/promises'
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, messageOf, UsageError } from './cliErrors.js'

/** `deribit-session --help`. */
export const USAGE = `Usage: deribit-session <command> [options]

Commands:
  watch <channel...>          Stream notifications (readable, or NDJSON with --json)
  call <method> [params]      Call one JSON-RPC method; prints the result as JSON
  sessions list|show|revoke   Inspect or revoke named sessions in a file or Redis session store
  simulator                   Serve the Deribit simulator; prints one JSON line (url, account)
  demo                        Run the scripted bot through every transition (npm start)

Target (watch, call): an embedded simulator started in this process, unless
  --url URL or DERIBIT_URL is set (testnet: wss://test.deribit.com/ws/api/v2),
  with DERIBIT_CLIENT_ID and DERIBIT_CLIENT_SECRET for private methods and user.* channels.

Exit codes: 0 ok, 1 runtime failure, 2 usage error.
Run 'deribit-session <command> --help' for a command's options,
'deribit-session --version' for the version.
`

type Command = (argv: readonly string[]) => Promise<number>

const COMMANDS: Record<string, () => Promise<Command>> = {
  watch: async () => (await import('./watch.js')).runWatch,
  call: async () => (await import('./call.js')).runCall,
  sessions: async () => (await import('./sessions.js')).runSessions,
  simulator: async () => (await import('./simulator.js')).runSimulator,
  demo: async () => (await import('./demoCommand.js')).runDemoCommand,
}

/**
 * Runs the CLI with the given arguments; resolves with the process exit code (0 ok,
 * 1 runtime failure, 2 usage error). Errors are printed on stderr as one line, never with a
 * stack or a secret.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2))
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE)
    return EXIT_OK
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`${await packageVersion()}\n`)
    return EXIT_OK
  }
  if (command === undefined) {
    process.stderr.write(USAGE)
    return EXIT_USAGE
  }
  const load = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined
  if (load === undefined) {
    process.stderr.write(`deribit-session: unknown command '${command}'\n\n${USAGE}`)
    return EXIT_USAGE
  }
  try {
    return await (await load())(rest)
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`deribit-session: ${error.message}\nRun 'deribit-session ${command} --help' for usage.\n`)
      return EXIT_USAGE
    }
    process.stderr.write(`deribit-session ${command}: ${messageOf(error)}\n`)
    return EXIT_FAILURE
  }
}

/** The installed package's version: package.json sits two levels up from src/cli/ and dist/cli/ alike. */
async function packageVersion(): Promise<string> {
  const manifest = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
  return manifest.version
}
