import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv, type ValidateFunction } from 'ajv'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { correctedSchemas } from '../../scripts/specCorrections.js'
import { readSpec } from '../../scripts/specFiles.js'
import { DeribitClient } from '../../src/client.js'
import { channelFamily } from '../../src/protocol/channelNames.js'
import { CHANNEL_PAYLOAD_SCHEMAS, type PayloadSchema } from '../../src/protocol/channelPayloads.js'
import { METHOD_TABLE } from '../../src/protocol/generated/methodTable.js'
import type { MethodName } from '../../src/protocol/methodTypes.js'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'

// The types say what `call` resolves to and what a handler receives; these checks hold real answers
// (recorded payloads in fixtures/, Deribit's own AsyncAPI examples, the simulator's answers) against
// the very schemas the types were generated from.

const spec = readSpec('deribit-openapi.json') as { components: { schemas: Record<string, unknown> } }
// The same corrected schemas the types were generated from (scripts/specCorrections.ts).
const openapi = { ...spec, components: { ...spec.components, schemas: correctedSchemas(spec.components.schemas) } }
const asyncapi = readSpec('deribit-asyncapi.json') as { channels: Record<string, ChannelDoc> }
interface ChannelDoc {
  messages: { subscription_message: { examples?: Array<{ payload: unknown }> } }
}

const ajv = new Ajv({ strict: false, allErrors: true })
ajv.addFormat('int64', true)
ajv.addSchema({ ...openapi, $id: 'openapi' })
const compiled = new Map<string, ValidateFunction>()
function validator(schema: object): ValidateFunction {
  const key = JSON.stringify(schema)
  let fn = compiled.get(key)
  if (fn === undefined) {
    fn = ajv.compile(schema)
    compiled.set(key, fn)
  }
  return fn
}

/** Errors of a whole JSON-RPC response against its method's response schema (the `MethodResult` source). */
function responseErrors(method: MethodName, response: unknown): string[] {
  const pointer: string | undefined = (METHOD_TABLE[method] as { response?: string }).response
  if (pointer === undefined) throw new Error(`${method} has no response schema`)
  const fn = validator({ $ref: `openapi${pointer}` })
  return fn(response) ? [] : (fn.errors ?? []).map((e) => `${method}${e.instancePath} ${e.message}`)
}

/** Errors of a notification's data against its family's payload schema (the `ChannelPayload` source). */
function payloadErrors(channel: string, data: unknown): string[] | 'untyped' {
  const family = channelFamily(channel)
  if (family === undefined) return [`${channel}: no channel family`]
  const entry: PayloadSchema | undefined = (CHANNEL_PAYLOAD_SCHEMAS as Record<string, PayloadSchema>)[family]
  if (entry === undefined) return 'untyped'
  const one = { $ref: `openapi#/components/schemas/${entry.schema}` }
  const fn = validator(entry.list ? { type: 'array', items: one } : one)
  return fn(data) ? [] : (fn.errors ?? []).map((e) => `${channel}${e.instancePath} ${e.message}`)
}

const FIXTURES = join(import.meta.dirname, '../../fixtures')
const load = (file: string): Record<string, unknown> => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8'))

describe('recorded payloads match the generated types’ schemas', () => {
  it.each([
    ['orders/buy.response.json', 'private/buy'],
    ['orders/edit.response.json', 'private/edit'],
    ['orders/cancel.response.json', 'private/cancel'],
    ['orders/cancel_all.response.json', 'private/cancel_all'],
    ['orders/get_open_orders_by_currency.response.json', 'private/get_open_orders_by_currency'],
    ['orders/get_order_state.response.json', 'private/get_order_state'],
    ['auth/client_credentials.response.json', 'public/auth'],
    ['auth/client_signature.response.json', 'public/auth'],
    ['session/get_cancel_on_disconnect.response.json', 'private/get_cancel_on_disconnect'],
    ['subscribe/private_subscribe.response.json', 'private/subscribe'],
    ['heartbeat/public_test.response.json', 'public/test'],
  ] as const)('%s is a %s response', (file, method) => {
    expect(responseErrors(method, load(file))).toEqual([])
  })

  const notifications = readdirSync(join(FIXTURES, 'notifications')).filter((f) => f.endsWith('.json'))
  it.each(notifications)('notifications/%s fits its channel’s payload type', (file) => {
    const { channel, data } = load(`notifications/${file}`).params as { channel: string; data: unknown }
    expect(channelFamily(channel)).toBeDefined()
    const errors = payloadErrors(channel, data)
    // The book and index fixtures have no spec schema: their types come from the protocol reference.
    if (errors === 'untyped') expect(channel).toMatch(/^(book|deribit_price_index)\./)
    else expect(errors).toEqual([])
  })

  it('Deribit’s own AsyncAPI examples fit the payload types of their families', () => {
    let checked = 0
    for (const [family, doc] of Object.entries(asyncapi.channels)) {
      if (!(family in CHANNEL_PAYLOAD_SCHEMAS)) continue
      for (const example of doc.messages.subscription_message.examples ?? []) {
        const channel = family.replaceAll(/\((\w+)\)/g, (_, name: string) => EXAMPLE_VALUES[name] ?? 'BTC-PERPETUAL')
        expect(payloadErrors(channel, example.payload)).toEqual([])
        checked++
      }
    }
    expect(checked).toBeGreaterThanOrEqual(Object.keys(CHANNEL_PAYLOAD_SCHEMAS).length)
  })
})

// An aggregated interval: the raw variants with a literal `.raw` are families of their own.
describe('the generated types', () => {
  it('carry no prose from the spec, and link each method to its page on docs.deribit.com', () => {
    const generated = join(import.meta.dirname, '../../src/protocol/generated')
    const text = ['openapiSchemas.ts', 'methodResponses.ts']
      .map((f) => readFileSync(join(generated, f), 'utf8'))
      .join('')
    const prose = new Set<string>()
    JSON.stringify(spec, (key, value: unknown) => {
      if ((key === 'description' || key === 'summary' || key === 'title') && typeof value === 'string') {
        for (const sentence of value.split(/[.\n]/))
          if (sentence.trim().split(' ').length >= 4) prose.add(sentence.trim())
      }
      return value
    })
    expect(prose.size).toBeGreaterThan(1000)
    expect([...prose].filter((sentence) => text.includes(sentence))).toEqual([])
    const links = [...text.matchAll(/\{@link (\S+) \| (\S+)\}/g)]
    expect(links.length).toBe(Object.keys(METHOD_TABLE).length)
    for (const [, url, method] of links) {
      expect(url).toMatch(/^https:\/\/docs\.deribit\.com\/api-reference\//)
      expect(url?.endsWith(method?.split('/').at(-1) ?? '?')).toBe(true)
    }
  })
})

const EXAMPLE_VALUES: Record<string, string> = { interval: '100ms', kind: 'future', currency: 'BTC' }

describe('the simulator’s answers match the generated types’ schemas', () => {
  let sim: Simulator
  let client: DeribitClient
  beforeAll(async () => {
    sim = await startSimulator({ seed: 15, marketRateHz: 200 })
    const { clientId, clientSecret } = sim.createAccount()
    client = new DeribitClient({ url: sim.url, credentials: { clientId, clientSecret } })
    await client.connect()
  })
  afterAll(async () => {
    await client?.close()
    await sim?.close()
  })

  it('answers the client’s methods as the response schemas say', async () => {
    const calls: Array<[MethodName, Record<string, unknown>]> = [
      ['public/get_time', {}],
      ['public/test', {}],
      ['public/get_instruments', { currency: 'BTC', kind: 'future' }],
      ['public/ticker', { instrument_name: 'BTC-PERPETUAL' }],
      ['public/get_order_book', { instrument_name: 'BTC-PERPETUAL' }],
      ['private/get_positions', { currency: 'BTC' }],
      ['private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'limit', price: 1000, label: 'conf' }],
      ['private/get_open_orders_by_currency', { currency: 'BTC' }],
      ['private/get_order_state_by_label', { currency: 'BTC', label: 'conf' }],
      ['private/cancel_by_label', { label: 'conf' }],
      ['private/sell', { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' }],
      ['private/get_user_trades_by_currency', { currency: 'BTC' }],
    ]
    const errors: string[] = []
    for (const [method, params] of calls) {
      const result = await client.callUntyped(method, params)
      errors.push(...responseErrors(method, { jsonrpc: '2.0', id: 1, result }))
    }
    expect(errors).toEqual([])
  })

  it('delivers notifications as the payload types say', async () => {
    const channels = [
      'ticker.BTC-PERPETUAL.100ms',
      'trades.BTC-PERPETUAL.raw',
      'user.orders.any.any.raw',
      'user.orders.BTC-PERPETUAL.100ms',
      'user.trades.any.any.raw',
      'user.changes.BTC-PERPETUAL.raw',
    ] as const
    const seen = new Map<string, unknown>()
    const subscription = await client.subscribe([...channels], (data, channel) => {
      if (!seen.has(channel)) seen.set(channel, data)
    })
    await client.buy({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })
    const deadline = Date.now() + 10_000
    while (seen.size < channels.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    await subscription.unsubscribe()
    expect([...seen.keys()].sort()).toEqual([...channels].sort())
    const errors = [...seen].flatMap(([channel, data]) => payloadErrors(channel, data))
    expect(errors).toEqual([])
  })
})
