/**
 * Logging with pino: the client's `logger` option takes a pino logger (or a bunyan one, or a
 * child of either) as it is, because it logs in their argument order, `(fields, message)`.
 *
 *   npm install pino        # pino is not a dependency of deribit-session
 *   npx tsx examples/pino-logger.ts
 *
 * Each line pino writes is JSON: the client's fields (epoch, close code, session, …) become its
 * properties and the message its `msg`. The client never puts tokens, secrets, request params or
 * frames in a line, so no pino `redact` paths are needed for it. `console` fits the same option:
 * `console.warn(fields, message)` prints both.
 */
import { DeribitClient } from 'deribit-session'
import { pino } from 'pino'
import { check, nextEvent, openVenue, runExample, step } from './support.js'

await runExample('pino-logger', async () => {
  await using venue = await openVenue()
  // A child logger, as an application would hand one per component; pino writes to stdout.
  const logger = pino({ level: 'info' }).child({ component: 'deribit' })
  await using client = new DeribitClient({
    url: venue.url,
    ...(venue.credentials ? { credentials: venue.credentials } : {}),
    logger,
  })
  await client.connect()
  step('connected', 'pino logged "socket open" with the connection epoch as a field')

  if (venue.sim) {
    // A dropped connection: pino gets the close code and whether the client reconnects as fields.
    const back = nextEvent(client, 'state', (state) => state === 'ready')
    venue.sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    await back
    step('reconnected', 'pino logged "socket closed" with its code and willReconnect')
  }
  const time = await client.call('public/get_time', {})
  check(typeof time === 'number', 'the client works with a pino logger')
})
