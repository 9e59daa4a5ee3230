/**
 * The SDK under test: `DeribitClient` with everything it does (session layer, subscription
 * registry, book sequencer, order tracking), client-side pacing off (`rateLimit: false`) since
 * the simulator runs without rate limits.
 */
import { performance } from 'node:perf_hooks'
import { type ChannelName, DeribitClient } from 'deribit-session'
import WebSocket from 'ws'
import { channelSet, PROBE_CHANNEL, privateChannels, publicChannels } from '../channels.js'
import type { BurstResult, SentFrame } from '../protocol.js'
import {
  type ClientContext,
  cpuSinceUs,
  exchangeTop,
  heapAfterGc,
  heldBurst,
  measureRpc,
  type Pausable,
  runClient,
  sameLevels,
  tradesResult,
  until,
} from './harness.js'
import { Samples } from './samples.js'

const INSTRUMENT = 'BTC-PERPETUAL'
const TRADES = `trades.${INSTRUMENT}.raw`
/** Reconnect at once: the measure is the protocol work, not the backoff. */
const RECONNECT = { initialDelayMs: 0, jitter: 0 }

/** The `ws` class, recording its newest instance so a burst can hold the socket (see heldBurst). */
let lastSocket: WebSocket | undefined
class RecordingWebSocket extends WebSocket {
  constructor(...args: ConstructorParameters<typeof WebSocket>) {
    super(...args)
    lastSocket = this
  }
}

function held(): Pausable {
  if (lastSocket === undefined) throw new Error('no socket yet')
  return lastSocket
}

function client({ sim }: ClientContext, sessionName?: string): DeribitClient {
  return new DeribitClient({
    url: sim.url,
    WebSocket: RecordingWebSocket as typeof WebSocket,
    credentials: { clientId: sim.clientId, clientSecret: sim.clientSecret },
    ...(sessionName === undefined ? {} : { sessionName }),
    rateLimit: false,
    reconnect: RECONNECT,
  })
}

async function trades(ctx: ClientContext): Promise<Record<string, unknown>> {
  const { config, simCall } = ctx
  const c = client(ctx)
  await c.connect()
  let n = 0
  let target = config.warmupFrames
  let t1 = 0
  let cpuUs = 0
  let cpu0 = process.cpuUsage()
  await c.subscribe([TRADES], (data) => {
    n += (data as unknown[]).length
    if (n === target) {
      t1 = performance.now()
      cpuUs = cpuSinceUs(cpu0)
    }
  })
  await heldBurst(held(), simCall, { cmd: 'burstTrades', instrument: INSTRUMENT, count: target })
  await until(() => n >= target, 30_000, 'warm-up trades')
  n = 0
  target = config.tradeFrames
  const {
    burst,
    t0,
    cpu0: c0,
  } = await heldBurst<BurstResult>(held(), simCall, {
    cmd: 'burstTrades',
    instrument: INSTRUMENT,
    count: target,
  })
  cpu0 = c0
  await until(() => n >= target, 60_000, 'trades').catch(() => undefined)
  await c.close()
  return tradesResult(burst, n, t0, t1, cpuUs)
}

async function book(ctx: ClientContext): Promise<Record<string, unknown>> {
  const { config, sim, simCall } = ctx
  const c = client(ctx)
  await c.connect()
  let gaps = 0
  let resyncs = 0
  c.on('gap', () => gaps++)
  c.on('resubscribed', (e) => {
    if (e.reason === 'gap') resyncs++
  })
  const local = await c.orderBook(INSTRUMENT, { interval: 'raw' })
  let applied = 0
  let target = 0
  let t1 = 0
  local.on('update', () => {
    applied++
    if (applied === target) t1 = performance.now()
  })
  await until(() => !local.stale, 5_000, 'book snapshot')
  applied = 1
  target = 1 + config.warmupFrames
  await heldBurst(held(), simCall, { cmd: 'burstBookChanges', instrument: INSTRUMENT, count: config.warmupFrames })
  await until(() => applied >= target, 30_000, 'warm-up book changes')
  applied = 0
  target = config.bookChanges
  const { burst, t0 } = await heldBurst<BurstResult>(held(), simCall, {
    cmd: 'burstBookChanges',
    instrument: INSTRUMENT,
    count: target,
  })
  await until(() => applied >= target, 60_000, 'book changes').catch(() => undefined)
  const measured = applied
  const matches = async (): Promise<boolean> => {
    const top = await exchangeTop(sim, INSTRUMENT, 10)
    return sameLevels(local.bids(10), top.bids) && sameLevels(local.asks(10), top.asks)
  }
  const bookMatches = await matches()
  // Gap detection: one skipped change_id per burst; after each the book must come back (a
  // resubscription and a fresh snapshot) equal to the exchange's.
  let resyncedEqual = true
  let gapsDetected = 0
  const gapsBefore = gaps
  for (const at of config.gapsAt) {
    const before = resyncs
    const eventsBefore = gaps
    await simCall({ cmd: 'burstBookChanges', instrument: INSTRUMENT, count: config.gapChanges, gapsAt: [at] })
    await until(() => resyncs > before && !local.stale, 10_000, 'resync after gap').catch(() => undefined)
    if (gaps > eventsBefore) gapsDetected++
    resyncedEqual &&= await matches()
  }
  await c.close()
  return {
    sent: burst.count,
    applied: measured,
    ms: t1 - t0,
    perSec: measured / ((t1 - t0) / 1000),
    simMs: burst.ms,
    bookMatches,
    gapsInjected: config.gapsAt.length,
    gapsDetected,
    // 'gap' events emitted for the injected gaps (one per gap is the ideal).
    gapEvents: gaps - gapsBefore,
    resyncs,
    resyncedEqual,
  }
}

async function rpc(ctx: ClientContext): Promise<Record<string, unknown>> {
  const c = new DeribitClient({ url: ctx.sim.url, rateLimit: false })
  await c.connect()
  const result = await measureRpc(ctx.config, () => c.call('public/test'))
  await c.close()
  return result
}

/** Frames the client sent between two Date.now() stamps, from the simulator's connection log. */
async function framesBetween({ simCall }: ClientContext, fromMs: number, toMs: number): Promise<SentFrame[]> {
  return simCall<SentFrame[]>({ cmd: 'framesBetween', fromMs, toMs })
}

type Account = { clientId: string; clientSecret: string; mainAccountId: number; subaccountIds: number[] }

/**
 * Each transition `transitionReps` times per channel count, on a connection holding that many
 * channels; the median is the round's figure. Exchanges alternate subaccount and main account so
 * each one changes identity.
 */
async function transitions(ctx: ClientContext): Promise<Record<string, unknown>> {
  const { config, simCall } = ctx
  const bySize: Record<string, Record<string, unknown>> = {}
  let publicLost = 0
  for (const size of config.transitionSizes) {
    // A fresh API key per size: sessions of one size cannot evict another's (16 per key).
    const account = await simCall<Account>({ cmd: 'createAccount', subaccounts: 1 })
    const set = channelSet(size)
    const c = client({ ...ctx, sim: { ...ctx.sim, ...account } }, `sdk-${size}`)
    await c.connect()
    let probe = 0
    await c.subscribe(set.all, (_data, channel) => {
      if (channel === PROBE_CHANNEL) probe++
    })
    await settle()
    const samples = new Samples(config.transitionWarmups)
    const timed = async (kind: string, run: () => Promise<unknown>): Promise<void> => {
      await samples.time(kind, run, (fromMs, toMs) => framesBetween(ctx, fromMs, toMs))
      await settle()
    }
    for (let rep = 0; rep < config.transitionWarmups + config.transitionReps; rep++) {
      await timed('refresh', () => c.refreshToken())
      const subject = rep % 2 === 0 ? (account.subaccountIds[0] as number) : account.mainAccountId
      await timed('exchange', () => c.exchangeToken(subject))
      await timed('fork', () => c.forkToken(`sdk-fork-${size}-${rep}`))
      // Reconnect: from the moment the client sees the drop to every channel confirmed again.
      let tDown = 0
      const onState = (state: string): void => {
        if (state === 'reconnecting' && tDown === 0) tDown = performance.now()
      }
      c.on('state', onState)
      const resubscribed = new Promise<void>((resolve) => {
        const on = (e: { reason: string }): void => {
          if (e.reason !== 'reconnect') return
          c.off('resubscribed', on)
          resolve()
        }
        c.on('resubscribed', on)
      })
      const from = Date.now()
      await simCall({ cmd: 'drop' })
      await resubscribed
      const ms = performance.now() - tDown
      c.off('state', onState)
      await settle()
      samples.add('reconnect', ms, await framesBetween(ctx, from, Date.now()), from)
    }
    // Untimed: an exchange and a fork while trades stream on a public channel of the same
    // connection; every trade must still reach the handler.
    const lost: Record<string, number> = {}
    for (const kind of ['exchange', 'fork'] as const) {
      probe = 0
      const burst = simCall<BurstResult>({ cmd: 'burstTrades', instrument: INSTRUMENT, count: 20_000 })
      await (kind === 'exchange'
        ? c.exchangeToken(
            c.subjectId === account.mainAccountId ? (account.subaccountIds[0] as number) : account.mainAccountId,
          )
        : c.forkToken(`sdk-probe-${size}`))
      const sent = (await burst).count
      await until(() => probe >= sent, 5_000, 'probe trades').catch(() => undefined)
      lost[kind] = sent - probe
      publicLost = Math.max(publicLost, sent - probe)
    }
    bySize[size] = { ...samples.summary(), publicLost: lost }
    await c.close()
  }
  return {
    bySize,
    publicLost,
    switchVsExchange: await switchVsExchange(ctx),
    channels: Object.fromEntries(
      config.transitionSizes.map((n) => [
        n,
        { public: channelSet(n).public.length, private: channelSet(n).private.length },
      ]),
    ),
  }
}

/**
 * Issue 8: `switchSession` back to a held session against `exchangeToken` to a new one, on a
 * connection holding `switchPrivateChannels` private channels (and nothing else). Each repetition
 * exchanges main → subaccount (the main session is then held) and switches back to it. Both
 * resolve once the private channels are confirmed for the new identity (and orders reconciled);
 * the server's own count of the connection's subscriptions is read after each.
 */
async function switchVsExchange(ctx: ClientContext): Promise<Record<string, unknown>> {
  const { config, simCall } = ctx
  const account = await simCall<Account>({ cmd: 'createAccount', subaccounts: 1 })
  const channels = privateChannels().slice(0, config.switchPrivateChannels)
  const c = client({ ...ctx, sim: { ...ctx.sim, ...account } }, 'sdk-switch')
  await c.connect()
  await c.subscribe(channels, () => {})
  await settle()
  let confirmed = 0
  c.on('resubscribed', (e) => {
    if (e.reason === 'transition') confirmed = e.channels.length
  })
  const samples = new Samples(config.transitionWarmups)
  const checks: { kind: string; confirmed: number; serverSubscriptions: number[] }[] = []
  const timed = async (kind: string, run: () => Promise<unknown>): Promise<void> => {
    confirmed = 0
    await samples.time(kind, run, (fromMs, toMs) => framesBetween(ctx, fromMs, toMs))
    checks.push({ kind, confirmed, serverSubscriptions: await simCall<number[]>({ cmd: 'subscriptionsOf' }) })
    await settle()
  }
  const sub = account.subaccountIds[0] as number
  for (let rep = 0; rep < config.transitionWarmups + config.transitionReps; rep++) {
    const mainSession = c.session?.id
    await timed('exchange', () => c.exchangeToken(sub))
    const held = c.heldSessions().find((h) => h.id === mainSession && !h.active)
    if (held === undefined) throw new Error('the main session is not held after the exchange')
    await timed('switch', () => c.switchSession(held.id))
  }
  await c.close()
  // The order tracker keeps its own user.orders channel under every identity, next to the user's.
  const expected = new Set<string>([...channels, 'user.orders.any.any.raw']).size
  return { channels: channels.length, expected, ...samples.summary(), checks }
}

/** Lets the notifications a subscribe or transition set off arrive before the next step. */
function settle(ms = 150): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

async function memory(ctx: ClientContext): Promise<Record<string, unknown>> {
  const { config, simCall } = ctx
  const c = client(ctx)
  await c.connect()
  // Heap per 1,000 subscriptions.
  const set = channelSet(config.memorySubscriptions)
  const h0 = heapAfterGc()
  const sub = await c.subscribe(set.all, () => {})
  const h1 = heapAfterGc()
  await sub.unsubscribe()
  const heapPer1000SubsBytes = ((h1 - h0) * 1_000) / set.all.length
  // Subscribe/unsubscribe cycles over public channels that publish nothing while the market is paused.
  const quiet = publicChannels().filter((ch) => !ch.startsWith('book.'))
  const cycle = async (i: number): Promise<void> => {
    const s = await c.subscribe([quiet[i % quiet.length] as ChannelName], () => {})
    await s.unsubscribe()
  }
  for (let i = 0; i < 500; i++) await cycle(i)
  const c0 = heapAfterGc()
  for (let i = 0; i < config.memoryCycles; i++) await cycle(i)
  const c1 = heapAfterGc()
  // Reconnects with ten channels held.
  await c.subscribe(channelSet(10).all, () => {})
  const reconnect = async (): Promise<void> => {
    const done = new Promise<void>((resolve) => {
      const on = (e: { reason: string }): void => {
        if (e.reason !== 'reconnect') return
        c.off('resubscribed', on)
        resolve()
      }
      c.on('resubscribed', on)
    })
    await simCall({ cmd: 'drop' })
    await done
  }
  for (let i = 0; i < 20; i++) await reconnect()
  const r0 = heapAfterGc()
  const t0 = performance.now()
  for (let i = 0; i < config.memoryReconnects; i++) await reconnect()
  const reconnectMs = (performance.now() - t0) / config.memoryReconnects
  const r1 = heapAfterGc()
  await c.close()
  return {
    heapPer1000SubsBytes,
    cyclesGrowthBytes: c1 - c0,
    reconnectsGrowthBytes: r1 - r0,
    meanReconnectMs: reconnectMs,
    heapAfterBytes: r1,
  }
}

runClient({ trades, book, rpc, transitions, memory })
