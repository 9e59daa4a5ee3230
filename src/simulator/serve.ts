import { startSimulator } from './index.js'
import type { SimulatorOptions } from './options.js'

/** Parsed `deribit-session simulator` flags. */
export interface ServeArgs {
  options: SimulatorOptions
  subaccounts: number
}

function numberFlag(name: string, raw: string | undefined): number {
  const n = Number(raw)
  if (raw === undefined || !Number.isFinite(n)) throw new Error(`${name} needs a number`)
  return n
}

/** Parses `--port N --host H --seed S --token-lifetime SEC --subaccounts N`. */
export function parseServeArgs(argv: readonly string[]): ServeArgs {
  const options: SimulatorOptions = {}
  let subaccounts = 0
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = argv[i + 1]
    switch (flag) {
      case '--port':
        options.port = numberFlag(flag, value)
        break
      case '--host':
        if (value === undefined) throw new Error('--host needs a value')
        options.host = value
        break
      case '--seed':
        options.seed = numberFlag(flag, value)
        break
      case '--token-lifetime':
        options.tokenLifetimeSec = numberFlag(flag, value)
        break
      case '--subaccounts':
        subaccounts = numberFlag(flag, value)
        break
      default:
        throw new Error(`unknown flag ${flag}`)
    }
    i++
  }
  return { options, subaccounts }
}

/**
 * Runs a simulator for the CLI: starts it, creates one account, prints one JSON line
 * `{"url","httpUrl","clientId","clientSecret","mainAccountId","subaccountIds"}` on stdout, and
 * serves until SIGINT or SIGTERM, then closes cleanly.
 */
export async function serveSimulator(argv: string[]): Promise<void> {
  const { options, subaccounts } = parseServeArgs(argv)
  const sim = await startSimulator(options)
  const account = sim.createAccount({ subaccounts })
  process.stdout.write(`${JSON.stringify({ url: sim.url, httpUrl: sim.httpUrl, ...account })}\n`)
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      resolve()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
  await sim.close()
}
