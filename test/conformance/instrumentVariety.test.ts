/**
 * The method walk trades BTC-PERPETUAL; this one asks the market-data methods about every listed
 * instrument and every currency and kind (inverse and linear futures, spot pairs, BTC and ETH
 * options, expired instruments), so every shape of instrument answers within the spec's schema.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import { CHANNELS_WITH_DEFECTIVE_EXAMPLES } from './knownGaps.js'
import { judgeResponse } from './methodWalk.js'
import { WsRpc } from './rpcClients.js'
import { exampleDefects, payloadMismatches } from './specSchemas.js'

type Json = Record<string, unknown>

let sim: Simulator
let ws: WsRpc

beforeAll(async () => {
  sim = await startSimulator({ rateLimits: false })
  ws = await WsRpc.open(sim.url)
})

afterAll(async () => {
  await ws?.close()
  await sim?.close()
})

/** Calls `method` and returns its result and what in it breaks the schema (beyond the spec's own defects). */
async function ask(method: string, params: Json): Promise<{ result: unknown; problems: string[] }> {
  const frame = await ws.call(method, params)
  if (frame === undefined || frame.error !== undefined) {
    return { result: undefined, problems: [`${method} ${JSON.stringify(params)}: ${JSON.stringify(frame?.error)}`] }
  }
  const { mismatches } = judgeResponse(method, frame)
  return { result: frame.result, problems: mismatches.map((m) => `${method} ${JSON.stringify(params)}: ${m}`) }
}

describe('market data over every kind of instrument', () => {
  it('lists every instrument without a currency, and each currency and kind within the schema', async () => {
    const all = await ask('public/get_instruments', {})
    expect(all.problems).toEqual([])
    const listed = all.result as Json[]
    const kinds = new Set(listed.map((i) => `${i.kind}/${i.instrument_type}/${i.base_currency}`))
    for (const k of ['future/reversed/BTC', 'future/reversed/ETH', 'future/linear/BTC', 'spot/linear/ETH'])
      expect(kinds).toContain(k)
    expect(listed.filter((i) => i.kind === 'option').map((i) => i.base_currency)).toEqual(
      expect.arrayContaining(['BTC', 'ETH']),
    )
    const problems: string[] = []
    for (const currency of ['BTC', 'ETH', 'USDC', 'any'])
      for (const kind of [undefined, 'future', 'option', 'spot']) {
        const params = { currency, ...(kind === undefined ? {} : { kind }) }
        const live = await ask('public/get_instruments', params)
        const expired = await ask('public/get_instruments', { ...params, expired: true })
        problems.push(...live.problems, ...expired.problems)
        if (currency !== 'any') problems.push(...(await ask('public/get_book_summary_by_currency', params)).problems)
        if (currency === 'any' && kind !== undefined)
          expect((live.result as Json[]).length).toBe(listed.filter((i) => i.kind === kind).length)
      }
    expect(problems).toEqual([])
  })

  it('answers ticker, order book, book summary and instrument within the schema for every instrument', async () => {
    const listed = (await ask('public/get_instruments', {})).result as Json[]
    const problems: string[] = []
    for (const i of listed) {
      const instrument_name = String(i.instrument_name)
      for (const method of [
        'public/ticker',
        'public/get_instrument',
        'public/get_order_book',
        'public/get_book_summary_by_instrument',
        'public/get_contract_size',
      ])
        problems.push(...(await ask(method, { instrument_name })).problems)
    }
    expect(problems).toEqual([])
  })

  it('delivers each instrument channel within the schema for every kind of instrument', async () => {
    const listed = (await ask('public/get_instruments', {})).result as Json[]
    const first = (test: (i: Json) => boolean) => String(listed.find(test)?.instrument_name)
    const names = [
      first((i) => i.settlement_period === 'perpetual' && i.instrument_type === 'reversed'),
      first((i) => i.kind === 'future' && i.instrument_type === 'linear'),
      first((i) => i.kind === 'future' && i.settlement_period !== 'perpetual'),
      first((i) => i.kind === 'spot'),
      first((i) => i.kind === 'option' && i.base_currency === 'ETH'),
    ]
    const families: [string, (name: string) => string][] = [
      ['ticker.(instrument_name).(interval)', (n) => `ticker.${n}.100ms`],
      ['book.(instrument_name).(interval)', (n) => `book.${n}.100ms`],
      ['trades.(instrument_name).(interval)', (n) => `trades.${n}.100ms`],
      ['quote.(instrument_name)', (n) => `quote.${n}`],
      ['incremental_ticker.(instrument_name)', (n) => `incremental_ticker.${n}`],
      ['chart.trades.(instrument_name).(resolution)', (n) => `chart.trades.${n}.1`],
    ]
    const channels = names.flatMap((n) => families.map(([family, channel]) => ({ family, channel: channel(n) })))
    const sub = await WsRpc.open(sim.url)
    try {
      await sub.result('public/subscribe', { channels: channels.map((c) => c.channel) })
      for (const n of names) await sim.market.burstTrades(n, 3)
      // A step requotes one instrument (a quarter of them spread over all), which then sends its
      // ticker and quote: enough steps reach each of these about fifteen times.
      sim.market.tick(4000)
      const defects = exampleDefects('channels')
      const problems: string[] = []
      for (const { family, channel } of channels) {
        const note = await sub.firstNotification(channel, 5000)
        if (note === undefined) {
          problems.push(`${channel}: nothing`)
          continue
        }
        const known = CHANNELS_WITH_DEFECTIVE_EXAMPLES.includes(family) ? (defects.get(family) ?? new Set()) : new Set()
        const data = (note.params as Json).data
        problems.push(
          ...payloadMismatches(family, data)
            .filter((m) => !known.has(m))
            .map((m) => `${channel}: ${m}`),
        )
      }
      expect(problems).toEqual([])
    } finally {
      await sub.close()
    }
  })

  it('omits the settlement currency of spot pairs only, and gives linear instruments whole-coin contracts', async () => {
    const listed = (await ask('public/get_instruments', { currency: 'USDC' })).result as Json[]
    const spot = listed.filter((i) => i.kind === 'spot')
    const perpetuals = listed.filter((i) => i.kind === 'future')
    expect(spot.length).toBeGreaterThan(0)
    expect(perpetuals.length).toBeGreaterThan(0)
    expect(spot.every((i) => !('settlement_currency' in i))).toBe(true)
    expect(perpetuals.every((i) => i.settlement_currency === 'USDC' && i.contract_size === 1)).toBe(true)
  })
})
