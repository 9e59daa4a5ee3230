import { ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_URL } from '../client/fromEnv.js'
import type { ClientCredentials, DeribitClientOptions } from '../client/options.js'
import { DERIBIT_TESTNET_URL as TESTNET_URL } from '../client/presets.js'
import { DeribitClient } from '../client.js'
import type { DeribitError } from '../errors.js'
import type { LogFields, Logger } from '../transport/logger.js'
import { messageOf, UsageError } from './cliErrors.js'
import { probeWebSocket } from './probe.js'

// The same variables `fromEnv()` reads; the `--url` flag wins over DERIBIT_URL.
export { ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_URL } from '../client/fromEnv.js'
/** Deribit's testnet endpoint, for `--url`. */
export { DERIBIT_TESTNET_URL as TESTNET_URL } from '../client/presets.js'
/** How long a command waits to connect (and for each call) unless `--timeout` says otherwise. */
export const DEFAULT_CLI_TIMEOUT_MS = 10_000

/** Where a command talks to: an embedded simulator or a URL. Close it when done. */
export interface Target extends AsyncDisposable {
  /** The WebSocket URL. */
  readonly url: string
  /** The API key, when there is one (the embedded simulator always makes one). */
  readonly credentials: ClientCredentials | undefined
  /** True when the CLI started a simulator in this process. */
  readonly embedded: boolean
  /** For messages: the URL without any userinfo, or "embedded simulator at …". */
  readonly description: string
  close(): Promise<void>
}

/**
 * Resolves where to connect: `--url`, else `DERIBIT_URL`, else a simulator started in this
 * process with a fresh account (so every command works offline with no setup), which it says on
 * stderr. Credentials come from `DERIBIT_CLIENT_ID` + `DERIBIT_CLIENT_SECRET` (both or neither)
 * for a URL. Throws a {@link UsageError} for a URL that is not ws:// or wss://, for half the
 * credentials, and when `privateWork` (e.g. `call private/buy`) would run on the embedded
 * simulator although an API key is set: the user meant a real account, so the CLI refuses to guess.
 *
 * @example
 * await using target = await openTarget(undefined, process.env)
 * const client = await connectClient(target, { timeoutMs: 5000 })
 */
export async function openTarget(
  urlFlag: string | undefined,
  env: NodeJS.ProcessEnv,
  privateWork?: string,
): Promise<Target> {
  const url = urlFlag ?? nonEmpty(env[ENV_URL])
  if (url === undefined) {
    const keyVariable = [ENV_CLIENT_ID, ENV_CLIENT_SECRET].find((name) => nonEmpty(env[name]) !== undefined)
    if (privateWork !== undefined && keyVariable !== undefined) {
      throw new UsageError(
        `refusing ${privateWork}: ${keyVariable} is set but there is no --url or ${ENV_URL}, so it would run on an embedded simulator, not your account. Set ${ENV_URL} (testnet: ${TESTNET_URL}), or unset ${ENV_CLIENT_ID} and ${ENV_CLIENT_SECRET} to rehearse on the simulator`,
      )
    }
    const target = await openEmbedded()
    process.stderr.write(
      `deribit-session: no --url or ${ENV_URL}: running on an ${target.description} with a throwaway account; nothing reaches an exchange\n`,
    )
    return target
  }
  const parsed = parseWsUrl(url)
  const clientId = nonEmpty(env[ENV_CLIENT_ID])
  const clientSecret = nonEmpty(env[ENV_CLIENT_SECRET])
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    throw new UsageError(`set both ${ENV_CLIENT_ID} and ${ENV_CLIENT_SECRET}, or neither (public methods only)`)
  }
  const credentials = clientId && clientSecret ? { clientId, clientSecret } : undefined
  const close = async () => {}
  return {
    url,
    credentials,
    embedded: false,
    description: displayUrl(parsed),
    close,
    [Symbol.asyncDispose]: close,
  }
}

async function openEmbedded(): Promise<Target> {
  // Loaded only when needed: a command against a real exchange never loads the simulator.
  const { startSimulator } = await import('../simulator/index.js')
  const sim = await startSimulator()
  const { clientId, clientSecret } = sim.createAccount({ subaccounts: 1 })
  const close = () => sim.close()
  return {
    url: sim.url,
    credentials: { clientId, clientSecret },
    embedded: true,
    description: `embedded simulator at ${sim.url}`,
    close,
    [Symbol.asyncDispose]: close,
  }
}

/** Options of {@link connectClient}. */
export interface ConnectClientOptions {
  /** Connect deadline and default call timeout. @default DEFAULT_CLI_TIMEOUT_MS */
  timeoutMs?: number
  /** Reconnect after a drop (`watch`) or stay closed (`call`). @default false */
  reconnect?: boolean
  logger?: Logger
}

/**
 * Connects a {@link DeribitClient} to the target and waits until it is ready. A URL is probed
 * first, so an unreachable one fails at once with the reason rather than after the connect
 * deadline; refused credentials fail with the exchange's code. Errors never carry the secret.
 */
export async function connectClient(target: Target, options: ConnectClientOptions = {}): Promise<DeribitClient> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_CLI_TIMEOUT_MS
  if (!target.embedded) {
    try {
      await probeWebSocket(target.url, timeoutMs)
    } catch (error) {
      throw new Error(`cannot reach ${target.description}: ${messageOf(error)}`)
    }
  }
  const clientOptions: DeribitClientOptions = {
    url: target.url,
    requestTimeoutMs: timeoutMs,
    ...(target.credentials ? { credentials: target.credentials } : {}),
    ...(options.reconnect ? {} : { reconnect: false as const }),
    ...(options.logger ? { logger: options.logger } : {}),
  }
  const client = new DeribitClient(clientOptions)
  try {
    await client.connect({ timeoutMs })
    return client
  } catch (error) {
    await client.close()
    const code = (error as DeribitError).code
    if (code === 'AUTH_FAILED' || code === 'REVOKED') {
      throw new Error(`${target.description} refused the API key in ${ENV_CLIENT_ID}: ${messageOf(error)}`)
    }
    throw new Error(`cannot connect to ${target.description}: ${messageOf(error)}`)
  }
}

/** A logger for `--verbose`: one line per message on stderr (the client never logs secrets). */
export function stderrLogger(): Logger {
  const write = (level: string) => (fields: LogFields, msg: string) => {
    process.stderr.write(`[${level}] ${msg}${Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : ''}\n`)
  }
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') }
}

function parseWsUrl(url: string): URL {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new UsageError(`'${url}' is not a URL; try --url ${TESTNET_URL}`)
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new UsageError(`--url must be a ws:// or wss:// URL (got ${parsed.protocol}//…); try --url ${TESTNET_URL}`)
  }
  return parsed
}

/** The URL without userinfo, so a password in it never reaches a message. */
function displayUrl(url: URL): string {
  const copy = new URL(url.href)
  copy.username = ''
  copy.password = ''
  return copy.href
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value
}
