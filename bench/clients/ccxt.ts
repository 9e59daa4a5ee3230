/**
 * The peer SDK: ccxt's `ccxt.pro.deribit`, pointed at the simulator (REST for loadMarkets, WS for
 * the streams). User code sees what `watchTrades` / `watchOrderBook` return, nothing more: trades
 * are counted from the arrays it returns, and the time runs from its first return to its last.
 */
import { performance } from 'node:perf_hooks'
import ccxt from 'ccxt'
import type { BurstResult } from '../protocol.js'
import {
  type ClientContext,
  exchangeTop,
  heldBurst,
  type Pausable,
  runClient,
  sameLevels,
  untilIdle,
} from './harness.js'

const INSTRUMENT = 'BTC-PERPETUAL'
const SYMBOL = 'BTC/USD:BTC'
/** A stream counts as finished after this long with nothing returned. */
const IDLE_MS = 750

type Pro = InstanceType<typeof ccxt.pro.deribit>

async function exchange({ sim }: ClientContext): Promise<Pro> {
  const ex = new ccxt.pro.deribit({ apiKey: sim.clientId, secret: sim.clientSecret })
  ex.urls.api = { ...ex.urls.api, ws: sim.url, rest: sim.httpUrl }
  // ccxt refuses plain ws:// until its http agent is loaded.
  await ex.loadHttpProxyAgent()
  await ex.loadMarkets()
  return ex
}

/** Runs `watch` in a loop until stopped, stamping every return. */
function watchLoop(
  watch: () => Promise<unknown>,
  onReturn: (value: unknown) => void,
): { stop: () => void; done: Promise<void> } {
  let stopped = false
  const done = (async () => {
    while (!stopped) {
      try {
        onReturn(await watch())
      } catch (error) {
        if (stopped) return
        throw error
      }
    }
  })()
  return { stop: () => (stopped = true), done: done.catch(() => undefined) }
}

async function trades(ctx: ClientContext): Promise<Record<string, unknown>> {
  const { config, simCall } = ctx
  const ex = await exchange(ctx)
  let returned = 0
  let returns = 0
  let t1 = 0
  const loop = watchLoop(
    () => ex.watchTrades(SYMBOL, undefined, undefined, { interval: 'raw' }),
    (value) => {
      t1 = performance.now()
      returned += (value as unknown[]).length
      returns++
    },
  )
  // The subscription is made on the first watch: wait for the simulator to hold it.
  await waitSubscribed(ctx, 1)
  await heldBurst(socketOf(ex, ctx), simCall, {
    cmd: 'burstTrades',
    instrument: INSTRUMENT,
    count: config.warmupFrames,
  })
  await untilIdle(() => t1, IDLE_MS, 60_000)
  returned = 0
  returns = 0
  t1 = 0
  const { burst, t0 } = await heldBurst<BurstResult>(socketOf(ex, ctx), simCall, {
    cmd: 'burstTrades',
    instrument: INSTRUMENT,
    count: config.tradeFrames,
  })
  await untilIdle(() => t1, IDLE_MS, 120_000)
  loop.stop()
  await ex.close()
  await loop.done
  const ms = t1 - t0
  return {
    sent: burst.count,
    received: returned,
    returns,
    lost: burst.count - returned,
    ms,
    // Frames ccxt processed per second (every frame is parsed, even if its trade is not returned).
    perSec: burst.count / (ms / 1000),
    returnedPerSec: returned / (ms / 1000),
    simMs: burst.ms,
  }
}

async function book(ctx: ClientContext): Promise<Record<string, unknown>> {
  const { config, simCall } = ctx
  const ex = await exchange(ctx)
  let returns = 0
  let t1 = 0
  let latest: { bids: [number, number][]; asks: [number, number][] } | undefined
  const loop = watchLoop(
    () => ex.watchOrderBook(SYMBOL, undefined, { interval: 'raw' }),
    (value) => {
      latest = value as typeof latest
      t1 = performance.now()
      returns++
    },
  )
  await waitSubscribed(ctx, 1)
  await untilIdle(() => t1, IDLE_MS, 10_000)
  await heldBurst(socketOf(ex, ctx), simCall, {
    cmd: 'burstBookChanges',
    instrument: INSTRUMENT,
    count: config.warmupFrames,
  })
  await untilIdle(() => t1, IDLE_MS, 60_000)
  returns = 0
  t1 = 0
  const { burst, t0 } = await heldBurst<BurstResult>(socketOf(ex, ctx), simCall, {
    cmd: 'burstBookChanges',
    instrument: INSTRUMENT,
    count: config.bookChanges,
  })
  await untilIdle(() => t1, IDLE_MS, 120_000)
  const ms = t1 - t0
  const top = await exchangeTop(ctx.sim, INSTRUMENT, 10)
  const levels = (side: [number, number][] | undefined): [number, number][] =>
    (side ?? []).slice(0, 10).map(([p, q]) => [p, q])
  const bookMatches = sameLevels(levels(latest?.bids), top.bids) && sameLevels(levels(latest?.asks), top.asks)
  loop.stop()
  await ex.close()
  await loop.done
  // ccxt applies every change it parses (handleOrderBook runs per frame) but never compares
  // prev_change_id with the last change_id, so no gap can be detected: not injected here.
  return {
    sent: burst.count,
    applied: burst.count,
    returns,
    ms,
    perSec: burst.count / (ms / 1000),
    simMs: burst.ms,
    bookMatches,
    gapsDetected: null,
  }
}

/** The `ws` socket under ccxt's client for the simulator's url (ccxt keeps one client per url). */
function socketOf(ex: Pro, { sim }: ClientContext): Pausable {
  const clients = ex.clients as Record<string, { connection?: Pausable } | undefined>
  const connection = clients[sim.url]?.connection
  if (connection === undefined) throw new Error('ccxt has no connection to the simulator yet')
  return connection
}

async function waitSubscribed({ simCall }: ClientContext, channels: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const counts = await simCall<number[]>({ cmd: 'subscriptionsOf' })
    if (counts.some((n) => n >= channels)) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error('ccxt never subscribed')
}

runClient({ trades, book })
