/**
 * Client options from the environment, with the variables the CLI and the examples read:
 * `DERIBIT_URL`, `DERIBIT_CLIENT_ID` and `DERIBIT_CLIENT_SECRET`.
 */
import { DeribitError } from '../errors.js'
import type { ClientCredentials } from './options.js'

/** Environment variable naming the exchange's WebSocket URL. */
export const ENV_URL = 'DERIBIT_URL'
/** Environment variable holding the API key's client id. */
export const ENV_CLIENT_ID = 'DERIBIT_CLIENT_ID'
/** Environment variable holding the API key's secret (never printed). */
export const ENV_CLIENT_SECRET = 'DERIBIT_CLIENT_SECRET'

/** What {@link fromEnv} reads: the endpoint and, when both variables are set, the API key. */
export interface EnvOptions {
  /** `DERIBIT_URL`. */
  url: string
  /** `DERIBIT_CLIENT_ID` + `DERIBIT_CLIENT_SECRET`; absent when neither is set (public methods only). */
  credentials?: ClientCredentials
}

/**
 * Reads `DERIBIT_URL` (required), `DERIBIT_CLIENT_ID` and `DERIBIT_CLIENT_SECRET` (both or neither)
 * from `env`. Spread the result into the client's options and add your own. Throws
 * `INVALID_ARGUMENT`, naming the variable but never its value, when the URL is missing or half the
 * key is set.
 *
 * @example
 * // DERIBIT_URL=wss://test.deribit.com/ws/api/v2 DERIBIT_CLIENT_ID=… DERIBIT_CLIENT_SECRET=… node bot.js
 * await using client = new DeribitClient({ ...fromEnv(), sessionName: 'bot' })
 */
export function fromEnv(env: Readonly<Record<string, string | undefined>> = process.env): EnvOptions {
  const url = nonEmpty(env[ENV_URL])
  if (url === undefined) {
    throw new DeribitError('INVALID_ARGUMENT', `${ENV_URL} is not set (e.g. wss://test.deribit.com/ws/api/v2)`)
  }
  const clientId = nonEmpty(env[ENV_CLIENT_ID])
  const clientSecret = nonEmpty(env[ENV_CLIENT_SECRET])
  if ((clientId === undefined) !== (clientSecret === undefined)) {
    throw new DeribitError('INVALID_ARGUMENT', `Set both ${ENV_CLIENT_ID} and ${ENV_CLIENT_SECRET}, or neither`)
  }
  return clientId && clientSecret ? { url, credentials: { clientId, clientSecret } } : { url }
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim()
  return trimmed ? trimmed : undefined
}
