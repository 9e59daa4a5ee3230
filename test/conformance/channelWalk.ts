/**
 * Subscribes to every channel family of the AsyncAPI table, each instantiated with the
 * simulator's instruments and currencies, drives some trading, and classifies what came back.
 */
import { CHANNEL_TABLE } from '../../src/protocol/generated/channelTable.js'
import type { ChannelSpec } from '../../src/protocol/specTable.js'
import type { Simulator } from '../../src/simulator/index.js'
import { CHANNELS_WITH_DEFECTIVE_EXAMPLES } from './knownGaps.js'
import { INSTRUMENT, restingOrder } from './methodParams.js'
import { WsRpc } from './rpcClients.js'
import { exampleDefects, payloadMismatches } from './specSchemas.js'

type Json = Record<string, unknown>

/** What one channel family did. */
export interface ChannelCheck {
  family: string
  channel: string
  /**
   * `delivering`: subscribed and its first payload matches the schema (up to the spec's known
   * defects). `invalid`: its payload does not. `refused`: subscribe answered an error, as a channel
   * the simulator does not serve must. `silent`: subscribe succeeded without the channel (`[]`).
   * `no-payload`: subscribed, but nothing came within the wait.
   */
  status: 'delivering' | 'invalid' | 'refused' | 'silent' | 'no-payload'
  detail?: unknown
  mismatches: string[]
}

const VALUES: Readonly<Record<string, readonly string[]>> = {
  instrument_name: [INSTRUMENT],
  kind: ['future'],
  currency: ['BTC'],
  index_name: ['btc_usd'],
  interval: ['100ms', 'raw'],
  group: ['none'],
  depth: ['10'],
  resolution: ['1'],
}

/** Values a family needs beyond {@link VALUES}: new instruments the walk lists are options. */
const FAMILY_VALUES: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  'instrument.state.(kind).(currency)': { kind: ['option'] },
}

/** The family's channel name with the simulator's instrument, BTC, btc_usd and 100ms filled in. */
export function instantiate(spec: ChannelSpec): string {
  let name = spec.family
  for (const p of spec.params) {
    const value =
      (FAMILY_VALUES[spec.family]?.[p.name] ?? VALUES[p.name] ?? []).find(
        (v) => p.enum === undefined || p.enum.includes(v),
      ) ?? p.enum?.[0]
    if (value === undefined) throw new Error(`no value for ${p.name} of ${spec.family}`)
    name = name.replace(`(${p.name})`, value)
  }
  return name
}

const TOLERATED = new Set(CHANNELS_WITH_DEFECTIVE_EXAMPLES)
const DEFECTS = exampleDefects('channels')

async function watch(sim: Simulator, spec: ChannelSpec, auth: Json, waitMs: number, ready: () => void) {
  const channel = instantiate(spec)
  const base = { family: spec.family, channel, mismatches: [] }
  const ws = await WsRpc.open(sim.url)
  try {
    await ws.result('public/auth', auth)
    const frame = await ws.call(spec.private ? 'private/subscribe' : 'public/subscribe', { channels: [channel] })
    ready()
    if (frame?.error !== undefined) return { ...base, status: 'refused' as const, detail: frame.error }
    const echoed = (frame?.result as string[] | undefined)?.find((c) => c.toLowerCase() === channel.toLowerCase())
    if (echoed === undefined) return { ...base, status: 'silent' as const, detail: frame?.result }
    const note = await ws.firstNotification(echoed, waitMs)
    if (note === undefined) return { ...base, status: 'no-payload' as const }
    const data = (note.params as Json).data
    const known = TOLERATED.has(spec.family) ? (DEFECTS.get(spec.family) ?? new Set()) : new Set<string>()
    const mismatches = payloadMismatches(spec.family, data).filter((m) => !known.has(m))
    return { ...base, status: mismatches.length === 0 ? ('delivering' as const) : ('invalid' as const), mismatches }
  } finally {
    await ws.close()
  }
}

/** Subscribes to every family at once (one connection each) while trading, waiting up to `waitMs` for each. */
export async function walkChannels(sim: Simulator, waitMs = 4000): Promise<ChannelCheck[]> {
  const account = sim.createAccount()
  const auth = { grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret }
  const trader = await WsRpc.open(sim.url)
  await trader.result('public/auth', auth)
  const specs = Object.values(CHANNEL_TABLE) as ChannelSpec[]
  let subscribed = 0
  let allSubscribed: () => void = () => {}
  const subscribedAll = new Promise<void>((resolve) => {
    allSubscribed = resolve
  })
  const ready = () => {
    if (++subscribed === specs.length) allSubscribed()
  }
  const results = Promise.all(specs.map((s) => watch(sim, s, auth, waitMs, ready)))
  try {
    await subscribedAll
    // Orders, fills and cancels on the account, so user.* and trade channels have events to send.
    // The resting order is cancelled before the trades: the sell would cross it, and self-trade
    // prevention would cancel it first.
    const order = await restingOrder(trader)
    await trader.result('private/cancel', { order_id: order.order_id })
    await trader.result('private/buy', { instrument_name: INSTRUMENT, amount: 10, type: 'market' })
    await trader.result('private/sell', { instrument_name: INSTRUMENT, amount: 10, type: 'market' })
    // A login, for user.access_log.
    const login = await WsRpc.open(sim.url)
    await login.result('public/auth', auth)
    await login.close()
    // A lock, for user.lock; an MMP order filled past its limit, for user.mmp_trigger.
    sim.lockAccount(account.mainAccountId, 'ETH', true)
    await trader.result('private/set_mmp_config', {
      index_name: 'btc_usd',
      interval: 60,
      frozen_time: 1,
      quantity_limit: 10,
      max_quote_quantity: 1000,
    })
    const t = (await trader.result('public/ticker', { instrument_name: INSTRUMENT })) as Json
    await trader.result('private/buy', { instrument_name: INSTRUMENT, amount: 10, price: t.best_ask_price, mmp: true })
    // An announcement, for the announcements channel.
    sim.announce('Conformance', 'A walk of every channel family', false)
    // New strikes, for instrument.state (otherwise only an expiry on the clock lists instruments).
    sim.market.listStrikes('BTC')
    return await results
  } finally {
    await trader.close()
  }
}
