/**
 * The benchmark's exchange, in a process of its own: a simulator with its market generator off
 * (`marketRateHz: 0`) and no rate limits, driven on command. It prints one JSON line on stdout
 * (`url`, `httpUrl` and a main account with one subaccount) and, when started with an IPC channel
 * (`child_process.fork`), answers {@link SimCommand}s with {@link SimReply}s.
 *
 * Run alone: `node --import tsx bench/simServer.ts` (prints the line and serves until killed).
 */
import { performance } from 'node:perf_hooks'
import { startSimulator } from 'deribit-session/simulator'
import type { SimCommand, SimReply } from './protocol.js'

const sim = await startSimulator({ marketRateHz: 0, rateLimits: false })
const account = sim.createAccount({ subaccounts: 1 })
process.stdout.write(`${JSON.stringify({ url: sim.url, httpUrl: sim.httpUrl, ...account })}\n`)

/** Runs `count` events of `burst` with a `skipChangeId` before each index in `gapsAt`. */
async function withGaps(
  instrument: string,
  count: number,
  gapsAt: readonly number[],
  burst: (n: number) => Promise<void>,
): Promise<void> {
  let done = 0
  for (const at of [...gapsAt].sort((a, b) => a - b)) {
    if (at > done) await burst(at - done)
    done = Math.max(done, at)
    sim.market.skipChangeId(instrument)
  }
  if (count > done) await burst(count - done)
}

async function handle(command: SimCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'burstTrades': {
      const sentBefore = sim.stats.notificationsSent
      const t0 = performance.now()
      await sim.market.burstTrades(command.instrument, command.count)
      const ms = performance.now() - t0
      return { count: command.count, notifications: sim.stats.notificationsSent - sentBefore, ms }
    }
    case 'burstBookChanges': {
      const sentBefore = sim.stats.notificationsSent
      const t0 = performance.now()
      await withGaps(command.instrument, command.count, command.gapsAt ?? [], (n) =>
        sim.market.burstBookChanges(command.instrument, n),
      )
      const ms = performance.now() - t0
      return { count: command.count, notifications: sim.stats.notificationsSent - sentBefore, ms }
    }
    case 'tick':
      sim.market.tick(command.steps)
      return null
    case 'drop':
      return sim.faults.dropConnections({ which: 'all', mode: command.mode ?? 'close' })
    case 'createAccount':
      return sim.createAccount({ subaccounts: command.subaccounts ?? 1 })
    case 'framesBetween': {
      // Frames each client put on the wire, by arrival time (the simulator clock is Date.now).
      const frames = sim.log.allFrames().filter((f) => f.at >= command.fromMs && f.at <= command.toMs)
      return frames.map((f) => ({
        connectionId: f.connectionId,
        at: f.at,
        method: methodOf(f.text),
        bytes: f.text.length,
      }))
    }
    case 'openConnections':
      return sim.log.connections().filter((c) => c.open).length
    case 'subscriptionsOf':
      return sim.log
        .connections()
        .filter((c) => c.open)
        .map((c) => sim.subscriptionsOf(c.id).length)
    case 'stats':
      return { notificationsSent: sim.stats.notificationsSent, connectionsOpened: sim.stats.connectionsOpened }
  }
}

function methodOf(text: string): string {
  try {
    const parsed: unknown = JSON.parse(text)
    if (parsed !== null && typeof parsed === 'object' && 'method' in parsed && typeof parsed.method === 'string') {
      return parsed.method
    }
  } catch {
    // Not JSON: reported as such.
  }
  return '?'
}

process.on('message', (message: unknown) => {
  const command = message as SimCommand & { id: number }
  handle(command).then(
    (result) => process.send?.({ id: command.id, ok: true, result } satisfies SimReply),
    (error: unknown) => process.send?.({ id: command.id, ok: false, error: String(error) } satisfies SimReply),
  )
})

const stop = (): void => {
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  )
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
process.on('disconnect', stop)
