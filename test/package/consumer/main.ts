// A consumer of the main entry and the simulator: connects, asks the time, closes.
import { DeribitClient, type DeribitClientOptions, DeribitError } from 'deribit-session'
import { startSimulator } from 'deribit-session/simulator'

const sim = await startSimulator()
const options: DeribitClientOptions = { url: sim.url, reconnect: false }
const client = new DeribitClient(options)
try {
  await client.connect()
  const time: number = await client.call('public/get_time')
  console.log(JSON.stringify({ time: typeof time, error: typeof DeribitError }))
} finally {
  await client.close()
  await sim.close()
}
