/**
 * The floor: what a client must do at the least, on a bare `ws` socket with one JSON.parse per
 * frame (see bareSocket.ts). Every SDK figure is divided by the matching figure from here.
 */
import { performance } from 'node:perf_hooks'
import { channelSet, chunkByBytes, PROBE_CHANNEL, privateChannels } from '../channels.js'
import type { BurstResult, SentFrame } from '../protocol.js'
import { BareSocket, type Tokens } from './bareSocket.js'
import {
  type ClientContext,
  cpuSinceUs,
  exchangeTop,
  heapAfterGc,
  heldBurst,
  measureRpc,
  runClient,
  sameLevels,
  tradesResult,
  until,
} from './harness.js'
import { Samples } from './samples.js'

const INSTRUMENT = 'BTC-PERPETUAL'
const TRADES = `trades.${INSTRUMENT}.raw`
const BOOK = `book.${INSTRUMENT}.raw`

async function trades({ config, sim, simCall }: ClientContext): Promise<Record<string, unknown>> {
  const socket = await BareSocket.open(sim.url)
  await socket.auth(sim.clientId, sim.clientSecret)
  let n = 0
  let target = config.warmupFrames
  let t1 = 0
  let cpuUs = 0
  let cpu0 = process.cpuUsage()
  socket.onNotification = (msg) => {
    if (msg.params.channel !== TRADES) return
    n += (msg.params.data as unknown[]).length
    if (n === target) {
      t1 = performance.now()
      cpuUs = cpuSinceUs(cpu0)
    }
  }
  await socket.call('private/subscribe', { channels: [TRADES] })
  await heldBurst(socket.ws, simCall, { cmd: 'burstTrades', instrument: INSTRUMENT, count: target })
  await until(() => n >= target, 30_000, 'warm-up trades')
  n = 0
  target = config.tradeFrames
  const {
    burst,
    t0,
    cpu0: c0,
  } = await heldBurst<BurstResult>(socket.ws, simCall, {
    cmd: 'burstTrades',
    instrument: INSTRUMENT,
    count: target,
  })
  cpu0 = c0
  await until(() => n >= target, 60_000, 'trades').catch(() => undefined)
  await socket.close()
  return tradesResult(burst, n, t0, t1, cpuUs)
}

/** A local book as the floor keeps it: two Maps price → amount, and the change_id chain. */
class FloorBook {
  readonly bids = new Map<number, number>()
  readonly asks = new Map<number, number>()
  changeId: number | undefined
  applied = 0
  gaps = 0

  apply(data: {
    type: string
    change_id: number
    prev_change_id?: number
    bids: [string, number, number][]
    asks: [string, number, number][]
  }): void {
    if (data.type === 'snapshot') {
      this.bids.clear()
      this.asks.clear()
    } else if (data.prev_change_id !== this.changeId) {
      // A real client resubscribes here; the floor only has to notice.
      this.gaps++
    }
    side(this.bids, data.bids)
    side(this.asks, data.asks)
    this.changeId = data.change_id
    this.applied++
  }
}

function side(map: Map<number, number>, levels: [string, number, number][]): void {
  for (const [action, price, amount] of levels) {
    if (action === 'delete') map.delete(price)
    else map.set(price, amount)
  }
}

function topOf(side: Map<number, number>, order: (a: number, b: number) => number): [number, number][] {
  return [...side.keys()]
    .sort(order)
    .slice(0, 10)
    .map((p) => [p, side.get(p) as number])
}

async function book({ config, sim, simCall }: ClientContext): Promise<Record<string, unknown>> {
  const socket = await BareSocket.open(sim.url)
  await socket.auth(sim.clientId, sim.clientSecret)
  const local = new FloorBook()
  let target = 0
  let t1 = 0
  socket.onNotification = (msg) => {
    if (msg.params.channel !== BOOK) return
    local.apply(msg.params.data as Parameters<FloorBook['apply']>[0])
    if (local.applied === target) t1 = performance.now()
  }
  await socket.call('private/subscribe', { channels: [BOOK] })
  await until(() => local.applied >= 1, 5_000, 'book snapshot')
  target = 1 + config.warmupFrames
  await heldBurst(socket.ws, simCall, { cmd: 'burstBookChanges', instrument: INSTRUMENT, count: config.warmupFrames })
  await until(() => local.applied >= target, 30_000, 'warm-up book changes')
  local.applied = 0
  target = config.bookChanges
  const { burst, t0 } = await heldBurst<BurstResult>(socket.ws, simCall, {
    cmd: 'burstBookChanges',
    instrument: INSTRUMENT,
    count: target,
  })
  await until(() => local.applied >= target, 60_000, 'book changes').catch(() => undefined)
  const applied = local.applied
  const top = await exchangeTop(sim, INSTRUMENT, 10)
  const bookMatches =
    sameLevels(
      topOf(local.bids, (a, b) => b - a),
      top.bids,
    ) &&
    sameLevels(
      topOf(local.asks, (a, b) => a - b),
      top.asks,
    )
  // Gap detection: bursts with one skipped change_id each.
  const gapsBefore = local.gaps
  for (const at of config.gapsAt) {
    local.applied = 0
    target = config.gapChanges
    await simCall({ cmd: 'burstBookChanges', instrument: INSTRUMENT, count: config.gapChanges, gapsAt: [at] })
    await until(() => local.applied >= target, 30_000, 'gap burst')
  }
  await socket.close()
  return {
    sent: burst.count,
    applied,
    ms: t1 - t0,
    perSec: applied / ((t1 - t0) / 1000),
    simMs: burst.ms,
    bookMatches,
    gapsInjected: config.gapsAt.length,
    gapsDetected: local.gaps - gapsBefore,
  }
}

async function rpc({ config, sim }: ClientContext): Promise<Record<string, unknown>> {
  const socket = await BareSocket.open(sim.url)
  const result = await measureRpc(config, () => socket.call('public/test'))
  await socket.close()
  return result
}

/** Subscribes `channels` in requests under 32 kB, all sent at once (one round trip). */
async function subscribeAll(socket: BareSocket, channels: readonly string[]): Promise<number> {
  const answers = await Promise.all(
    chunkByBytes(channels).map((chunk) => socket.call<string[]>('private/subscribe', { channels: chunk })),
  )
  return answers.reduce((n, a) => n + a.length, 0)
}

/**
 * The protocol minimum of each transition, on a bare socket (shared/protocol §10.2–10.3):
 * refresh = auth(refresh_token); exchange/fork = exchange_token|fork_token, then auth with the new
 * refresh token, then private/subscribe of the private channels (the public ones stay);
 * reconnect = WebSocket handshake, auth(refresh_token), subscribe everything.
 */
async function transitions(ctx: ClientContext): Promise<Record<string, unknown>> {
  const { config, simCall } = ctx
  const bySize: Record<string, Record<string, unknown>> = {}
  let publicLost = 0
  for (const size of config.transitionSizes) {
    // A fresh API key per size: sessions of one size cannot evict another's (16 per key).
    const account = await simCall<{
      clientId: string
      clientSecret: string
      mainAccountId: number
      subaccountIds: number[]
    }>({
      cmd: 'createAccount',
      subaccounts: 1,
    })
    const set = channelSet(size)
    let socket = await BareSocket.open(ctx.sim.url)
    let tokens = await socket.auth(account.clientId, account.clientSecret, `floor-${size}`)
    let subject = account.mainAccountId
    let probe = 0
    const count = (msg: { params: { channel: string } }): void => {
      if (msg.params.channel === PROBE_CHANNEL) probe++
    }
    socket.onNotification = count
    await subscribeAll(socket, set.all)
    await settle()
    const samples = new Samples(config.transitionWarmups)
    const timed = async (kind: string, run: () => Promise<unknown>): Promise<void> => {
      await samples.time(kind, run, (fromMs, toMs) => simCall<SentFrame[]>({ cmd: 'framesBetween', fromMs, toMs }))
      await settle()
    }
    const reauth = async (refreshToken: string): Promise<void> => {
      tokens = await socket.call<Tokens>('public/auth', { grant_type: 'refresh_token', refresh_token: refreshToken })
    }
    const exchange = async (to: number): Promise<void> => {
      const next = await socket.call<Tokens>('public/exchange_token', {
        refresh_token: tokens.refresh_token,
        subject_id: to,
      })
      await reauth(next.refresh_token)
      await subscribeAll(socket, set.private)
      subject = to
    }
    const fork = async (name: string): Promise<void> => {
      const next = await socket.call<Tokens>('public/fork_token', {
        refresh_token: tokens.refresh_token,
        session_name: name,
      })
      await reauth(next.refresh_token)
      await subscribeAll(socket, set.private)
    }
    const other = (): number =>
      subject === account.mainAccountId ? (account.subaccountIds[0] as number) : account.mainAccountId
    for (let rep = 0; rep < config.transitionWarmups + config.transitionReps; rep++) {
      await timed('refresh', () => reauth(tokens.refresh_token))
      await timed('exchange', () => exchange(other()))
      await timed('fork', () => fork(`floor-fork-${size}-${rep}`))
      const closed = new Promise<number>((resolve) => socket.ws.once('close', () => resolve(performance.now())))
      const from = Date.now()
      await simCall({ cmd: 'drop' })
      const tDown = await closed
      socket = await BareSocket.open(ctx.sim.url)
      socket.onNotification = count
      await reauth(tokens.refresh_token)
      await subscribeAll(socket, set.all)
      const ms = performance.now() - tDown
      await settle()
      samples.add(
        'reconnect',
        ms,
        await simCall<SentFrame[]>({ cmd: 'framesBetween', fromMs: from, toMs: Date.now() }),
        from,
      )
    }
    const lost: Record<string, number> = {}
    for (const kind of ['exchange', 'fork'] as const) {
      probe = 0
      const burst = simCall<BurstResult>({ cmd: 'burstTrades', instrument: INSTRUMENT, count: 20_000 })
      await (kind === 'exchange' ? exchange(other()) : fork(`floor-probe-${size}`))
      const sent = (await burst).count
      await until(() => probe >= sent, 5_000, 'probe trades').catch(() => undefined)
      lost[kind] = sent - probe
      publicLost = Math.max(publicLost, sent - probe)
    }
    bySize[size] = { ...samples.summary(), publicLost: lost }
    await socket.close()
  }
  return { bySize, publicLost, switchVsExchange: await switchVsExchange(ctx) }
}

/**
 * Issue 8, the minimum: with `switchPrivateChannels` private channels, exchange = exchange_token →
 * auth → private/subscribe (3 round trips); switch back to a session already held = auth with
 * its refresh token → private/subscribe (2 round trips).
 */
async function switchVsExchange(ctx: ClientContext): Promise<Record<string, unknown>> {
  const { config, simCall } = ctx
  const account = await simCall<{
    clientId: string
    clientSecret: string
    mainAccountId: number
    subaccountIds: number[]
  }>({ cmd: 'createAccount', subaccounts: 1 })
  const channels = privateChannels().slice(0, config.switchPrivateChannels)
  const socket = await BareSocket.open(ctx.sim.url)
  let tokens = await socket.auth(account.clientId, account.clientSecret, 'floor-switch')
  await subscribeAll(socket, channels)
  await settle()
  const samples = new Samples(config.transitionWarmups)
  const timed = async (kind: string, run: () => Promise<unknown>): Promise<void> => {
    await samples.time(kind, run, (fromMs, toMs) => simCall<SentFrame[]>({ cmd: 'framesBetween', fromMs, toMs }))
    await settle()
  }
  for (let rep = 0; rep < config.transitionWarmups + config.transitionReps; rep++) {
    const held = tokens
    await timed('exchange', async () => {
      const next = await socket.call<Tokens>('public/exchange_token', {
        refresh_token: tokens.refresh_token,
        subject_id: account.subaccountIds[0],
      })
      tokens = await socket.call<Tokens>('public/auth', {
        grant_type: 'refresh_token',
        refresh_token: next.refresh_token,
      })
      await subscribeAll(socket, channels)
    })
    await timed('switch', async () => {
      tokens = await socket.call<Tokens>('public/auth', {
        grant_type: 'refresh_token',
        refresh_token: held.refresh_token,
      })
      await subscribeAll(socket, channels)
    })
  }
  await socket.close()
  return { channels: channels.length, ...samples.summary() }
}

/** Lets the notifications a subscribe or transition set off arrive before the next step. */
function settle(ms = 150): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** The floor's cost of holding subscriptions: the desired set a reconnecting client must keep. */
async function memory({ config, sim }: ClientContext): Promise<Record<string, unknown>> {
  const socket = await BareSocket.open(sim.url)
  await socket.auth(sim.clientId, sim.clientSecret)
  const set = channelSet(config.memorySubscriptions)
  const h0 = heapAfterGc()
  const desired = new Set<string>()
  for (const ch of set.all) desired.add(ch)
  await subscribeAll(socket, set.all)
  const h1 = heapAfterGc()
  await socket.close()
  return { heapPer1000SubsBytes: ((h1 - h0) * 1_000) / set.all.length, held: desired.size }
}

runClient({ trades, book, rpc, transitions, memory })
