/**
 * What every example shares: where to connect (an embedded simulator, or a real exchange when
 * DERIBIT_URL is set), a timeline printer, a check that fails the run, and a runner that turns
 * the outcome into the exit code. The examples import 'deribit-session' as your code does: copy an
 * example with this file into a project that has the package installed and it runs there. In this
 * repository, tsconfig.json's `paths` point the package's name at its sources (tsx and Bun read them).
 */
import {
  type ClientCredentials,
  type ClientEvents,
  type DeribitClient,
  fromEnv,
  type LocalOrderBook,
  type LocalOrderBookEvents,
} from 'deribit-session'
import { type Simulator, type SimulatorOptions, startSimulator } from 'deribit-session/simulator'

/** Where an example runs. Close it (or `await using`) when done. */
export interface Venue extends AsyncDisposable {
  url: string
  /** The API key: the simulator's throwaway account, or DERIBIT_CLIENT_ID / DERIBIT_CLIENT_SECRET. */
  credentials: ClientCredentials | undefined
  /** The embedded simulator, to inject faults; undefined on a real exchange. */
  sim: Simulator | undefined
  /** Subaccounts to switch to: the simulator's, or DERIBIT_SUBACCOUNT_ID on a real exchange. */
  subaccountIds: number[]
  close(): Promise<void>
}

/**
 * The embedded simulator unless DERIBIT_URL is set (e.g. wss://test.deribit.com/ws/api/v2,
 * with DERIBIT_CLIENT_ID and DERIBIT_CLIENT_SECRET of a testnet API key).
 */
export async function openVenue(
  options: { subaccounts?: number; simulator?: SimulatorOptions; needsKey?: boolean } = {},
): Promise<Venue> {
  if (process.env.DERIBIT_URL) {
    const { url, credentials } = fromEnv()
    if (options.needsKey && !credentials) {
      throw new Error('this example trades: set DERIBIT_CLIENT_ID and DERIBIT_CLIENT_SECRET (a testnet key!)')
    }
    const sub = Number(process.env.DERIBIT_SUBACCOUNT_ID)
    const close = async () => {}
    return {
      url,
      credentials,
      sim: undefined,
      subaccountIds: Number.isInteger(sub) && sub > 0 ? [sub] : [],
      close,
      [Symbol.asyncDispose]: close,
    }
  }
  const sim = await startSimulator(options.simulator ?? {})
  const account = sim.createAccount({ subaccounts: options.subaccounts ?? 0 })
  step('venue', `embedded simulator at ${sim.url} (set DERIBIT_URL to use a real exchange)`)
  const close = () => sim.close()
  return {
    url: sim.url,
    credentials: { clientId: account.clientId, clientSecret: account.clientSecret },
    sim,
    subaccountIds: account.subaccountIds,
    close,
    [Symbol.asyncDispose]: close,
  }
}

const started = performance.now()

/** Prints one timeline line: milliseconds since start, what, detail. */
export function step(what: string, detail = ''): void {
  console.log(`${String(Math.round(performance.now() - started)).padStart(6)} ms  ${what.padEnd(12)} ${detail}`)
}

/** Fails the example (exit 1) when `condition` is false. */
export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`check failed: ${message}`)
}

/** What {@link nextEvent} needs of an emitter. */
interface Listenable {
  on(event: string, listener: (...args: never[]) => void): unknown
  off(event: string, listener: (...args: never[]) => void): unknown
}

/** Resolves with the first client event whose arguments pass `accept`, or rejects after `timeoutMs`. */
export function nextEvent<K extends keyof ClientEvents>(
  emitter: DeribitClient,
  event: K,
  accept?: (...args: ClientEvents[K]) => boolean,
  timeoutMs?: number,
): Promise<ClientEvents[K]>
/** Resolves with the first book event whose arguments pass `accept`, or rejects after `timeoutMs`. */
export function nextEvent<K extends keyof LocalOrderBookEvents>(
  emitter: LocalOrderBook,
  event: K,
  accept?: (...args: LocalOrderBookEvents[K]) => boolean,
  timeoutMs?: number,
): Promise<LocalOrderBookEvents[K]>
export function nextEvent(
  emitter: DeribitClient | LocalOrderBook,
  event: string,
  accept: (...args: never[]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<unknown[]> {
  const target = emitter as unknown as Listenable
  return new Promise((resolve, reject) => {
    const listener = (...args: never[]) => {
      if (!accept(...args)) return
      clearTimeout(timer)
      target.off(event, listener)
      resolve(args)
    }
    const timer = setTimeout(() => {
      target.off(event, listener)
      reject(new Error(`no '${event}' event within ${timeoutMs} ms`))
    }, timeoutMs)
    target.on(event, listener)
  })
}

/** The hard limit of one example: the test suite gives each 15 s. */
export const EXAMPLE_DEADLINE_MS = 14_000

/**
 * Runs an example: exit code 0 when `main` resolves, 1 (with the reason) when it throws or takes
 * longer than {@link EXAMPLE_DEADLINE_MS}. The process must then end by itself: an example that
 * leaves a socket or timer open hangs, and the test suite's timeout catches it.
 */
export async function runExample(name: string, main: () => Promise<void>): Promise<void> {
  const deadline = setTimeout(() => {
    console.error(`${name}: FAILED: still running after ${EXAMPLE_DEADLINE_MS} ms`)
    process.exit(1)
  }, EXAMPLE_DEADLINE_MS)
  deadline.unref()
  try {
    await main()
    step('done', `${name} OK`)
    process.exitCode = 0
  } catch (error) {
    console.error(`${name}: FAILED: ${error instanceof Error ? error.message : String(error)}`)
    process.exitCode = 1
  } finally {
    clearTimeout(deadline)
  }
}
