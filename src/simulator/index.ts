/**
 * `deribit-session/simulator`: a protocol-faithful Deribit JSON-RPC v2 server on loopback, for
 * tests, demos and benchmarks. One port serves WebSocket (`/ws/api/v2`) and HTTP (`/api/v2/{method}`).
 *
 * @example
 * await using sim = await startSimulator({ tokenLifetimeSec: 5 })
 * const { clientId, clientSecret } = sim.createAccount({ subaccounts: 1 })
 * // connect a client to sim.url
 */
import { createExchange, type Exchange } from './exchange/index.js'
import type { SimulatorOptions } from './options.js'
import { type SimulatorHandle, startSimulatorServer } from './server.js'

export type { CreatedAccount } from './accounts.js'
export type { ConnectionInfo, ConnectionLogView, LoggedConnectionFrame, LoggedFrame } from './connectionLog.js'
export type { Custodian, CustodyLink } from './exchange/custody.js'
export type { Exchange, MarketControls } from './exchange/index.js'
export type { ConnectionSelector, SimulatorFaults } from './faults.js'
export {
  type CreditPoolOptions,
  DEFAULT_MAX_SESSIONS_PER_KEY,
  DEFAULT_MIN_HEARTBEAT_INTERVAL_SEC,
  DEFAULT_RATE_LIMITS,
  DEFAULT_TOKEN_LIFETIME_SEC,
  type RateLimitOptions,
  type RefreshTokenReuse,
  type SimulatorOptions,
  type SourceSessionAfterTransition,
} from './options.js'
export type { CreateAccountOptions, SimulatorHandle } from './server.js'
export type { GrantType, SimulatorStats } from './stats.js'

/** A running simulator: its URLs, accounts, faults, market controls, log and stats. */
export type Simulator = SimulatorHandle<Exchange['market']>

/**
 * Starts a simulator; `close()` it (or `await using`) when done.
 *
 * @example
 * import { DeribitClient } from 'deribit-session'
 * import { startSimulator } from 'deribit-session/simulator'
 *
 * await using sim = await startSimulator({ tokenLifetimeSec: 30 })
 * const { clientId, clientSecret, subaccountIds } = sim.createAccount({ subaccounts: 1 })
 * await using client = new DeribitClient({ url: sim.url, credentials: { clientId, clientSecret } })
 * await client.connect()
 * await client.subscribe('user.orders.any.any.raw')
 * await client.exchangeToken(subaccountIds[0]!) // now acting for the subaccount
 * sim.faults.dropConnections() // the client reconnects, re-authenticates and subscribes again
 * console.log(sim.stats.exchangeTokens) // 1
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return startSimulatorServer(options, (exchangeOptions, sink) => createExchange(exchangeOptions, sink))
}

export { type CallContext, type InstrumentFacts, type MethodHandler, SimRpcError } from './contract.js'
export type { AccountProfile } from './exchange/index.js'
export type { MarketControls as ServerMarketControls } from './market.js'
