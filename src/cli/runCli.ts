/**
 * The `deribit-session` command. Each subcommand lives in its own module and is loaded only
 * when asked for, so `--help` and `simulator` start fast.
 */

const USAGE = `Usage: deribit-session <command> [options]

Commands:
  simulator   Serve the Deribit simulator and print one JSON line with its URLs and an account
              (--port N --host H --seed S --token-lifetime SEC --subaccounts N)
  demo        Run the scripted bot through every transition on the embedded simulator

Options:
  --help      Show this help (also after a command)
`

/** Runs the CLI with the given arguments; resolves with the process exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE)
    return command === undefined ? 1 : 0
  }
  try {
    switch (command) {
      case 'simulator': {
        if (rest.includes('--help')) {
          process.stdout.write(USAGE)
          return 0
        }
        const { serveSimulator } = await import('../simulator/serve.js')
        await serveSimulator([...rest])
        return 0
      }
      case 'demo': {
        const { runDemo } = await import('./demo.js')
        return await runDemo([...rest])
      }
      default:
        process.stderr.write(`deribit-session: unknown command '${command}'\n\n${USAGE}`)
        return 2
    }
  } catch (error) {
    process.stderr.write(`deribit-session ${command}: ${error instanceof Error ? error.message : String(error)}\n`)
    return 2
  }
}
