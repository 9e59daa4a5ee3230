/**
 * The soak's exchange, in its own process so that its history (orders, sessions, frame log) does
 * not count in the client's heap. Rate limits are off: the soak measures leaks, not pacing.
 * Sends `{ url, port, clientId, clientSecret, mainAccountId, subaccountIds }` over IPC, then
 * obeys `'drop'` (terminate every connection) and `'stop'`.
 */
import { startSimulator } from '../../src/simulator/index.js'

const sim = await startSimulator({ rateLimits: false, marketRateHz: 50, seed: 11, minHeartbeatIntervalSec: 1 })
const account = sim.createAccount({ subaccounts: 1 })
process.send?.({ url: sim.url, port: sim.port, ...account })

const stop = (): void => {
  void sim.close().then(() => process.exit(0))
}
process.on('message', (message) => {
  if (message === 'drop') sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
  if (message === 'stop') stop()
})
process.on('disconnect', stop)
