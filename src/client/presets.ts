/**
 * Deribit's endpoints. Pass one as `url`, or `testnet: true` for the test server. There is
 * deliberately no default, so no bot reaches production by leaving out an option.
 */
import { DeribitError } from '../errors.js'

/** Deribit's production WebSocket endpoint (real money). */
export const DERIBIT_PRODUCTION_URL = 'wss://www.deribit.com/ws/api/v2'

/** Deribit's testnet WebSocket endpoint (test.deribit.com: separate accounts, no real money). */
export const DERIBIT_TESTNET_URL = 'wss://test.deribit.com/ws/api/v2'

/** The endpoint part of the client's options. */
export interface EndpointOptions {
  /** WebSocket endpoint, e.g. {@link DERIBIT_PRODUCTION_URL} or a simulator's `sim.url`. */
  url?: string
  /** `true` connects to {@link DERIBIT_TESTNET_URL}; give `url` or this, not both. */
  testnet?: boolean
}

/**
 * The URL the options name: `url`, or the testnet preset for `testnet: true`. Throws
 * `INVALID_ARGUMENT` when neither is given, when both are, or when `url` is not ws:// or wss://.
 */
export function endpointUrl(options: EndpointOptions): string {
  const { url, testnet } = options
  if (url !== undefined && testnet === true) {
    throw new DeribitError('INVALID_ARGUMENT', 'Give DeribitClient either options.url or testnet: true, not both')
  }
  if (testnet === true) return DERIBIT_TESTNET_URL
  if (typeof url !== 'string' || !/^wss?:\/\/./i.test(url)) {
    throw new DeribitError(
      'INVALID_ARGUMENT',
      `DeribitClient needs options.url (a ws:// or wss:// URL such as DERIBIT_PRODUCTION_URL) or testnet: true`,
    )
  }
  return url
}
