/**
 * The client under hostile input (issue 7): a fake exchange — a raw `ws` server on loopback that
 * answers authentication and the client's set-up calls — sends fast-check generated garbage
 * interleaved with valid answers: malformed JSON, wrong types, result and error together, unknown,
 * string-typed and duplicated ids, `__proto__`/`constructor` keys (plain and escaped), frames over
 * the client's `maxPayloadBytes`, bogus orders on `user.orders`, and floods of notifications.
 * Oracles: the process lives (vitest fails on any unhandled error), `Object.prototype` is
 * untouched, the pending request is answered correctly afterwards, and the client ends ready.
 *
 * `FUZZ_RUNS=200 npx vitest run test/reliability/clientFuzz.test.ts` hunts longer.
 */
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import { DeribitClient } from '../../src/client.js'
import { waitFor } from '../client/harness.js'
import { canaryAbsent, recordingLogger } from './oracles.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 40)
const MAX_PAYLOAD_BYTES = 64 * 1024
const CANARY = 'canary-secret-3f9a1c77e2'
const ORDERS = 'user.orders.any.any.raw'
const TICKER = 'ticker.BTC-PERPETUAL.100ms'

/** A frame builder: given the id of the call in flight, the text to send before its answer. */
type Hostile = (pendingId: number) => string

const json = (value: unknown): string => JSON.stringify(value)

const anyJson = fc.jsonValue({ maxDepth: 3 })

const hostileFrame: fc.Arbitrary<Hostile> = fc.oneof(
  // Malformed JSON, truncated frames, non-objects.
  fc.string({ maxLength: 40 }).map((s) => () => s),
  anyJson.map((v) => () => json(v).slice(0, Math.max(1, json(v).length - 1))),
  anyJson.map((v) => () => json(v)),
  fc.constantFrom('', 'null', '[]', '[{"id":1}]', '"subscription"', '{', '{"jsonrpc":"2.0"').map((text) => () => text),
  // Aimed at the call in flight, but invalid: both result and error, an error without a code,
  // neither, or its id as a string.
  anyJson.map((v) => (id: number) => json({ jsonrpc: '2.0', id, result: v, error: { code: 1, message: 'm' } })),
  anyJson.map((v) => (id: number) => json({ jsonrpc: '2.0', id, error: { message: v } })),
  fc.constant((id: number) => json({ jsonrpc: '2.0', id })),
  anyJson.map((v) => (id: number) => json({ jsonrpc: '2.0', id: String(id), result: v })),
  // Ids that belong to nobody: unknown, already answered, negative, fractional, huge, wrong types.
  fc
    .oneof(fc.integer(), fc.double(), fc.string(), fc.boolean(), fc.constant(null), fc.object({ maxDepth: 1 }))
    .chain((id) =>
      anyJson.map((v) => (pending: number) => (id === pending ? '{}' : json({ jsonrpc: '2.0', id, result: v }))),
    ),
  fc
    .nat({ max: 5 })
    .map((back) => (id: number) => json({ jsonrpc: '2.0', id: Math.max(1, id - 1 - back), result: 'dup' })),
  // Hostile keys, plain and spelt with escapes JSON.parse decodes.
  fc.constantFrom(
    () =>
      `{"__proto__":{"polluted":1},"jsonrpc":"2.0","method":"subscription","params":{"channel":"${ORDERS}","data":{}}}`,
    () =>
      `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"${TICKER}","data":{"constructor":{"prototype":{"polluted":1}}}}}`,
    (id: number) => `{"jsonrpc":"2.0","id":${id},"result":{"\\u005f_proto__":{"polluted":1}}}`,
    () =>
      `{"jsonrpc":"2.0","method":"subscription","params":{"channel":"${ORDERS}","data":[{"prototype":{"polluted":1}}]}}`,
  ),
  // Notifications of the wrong shape; bogus orders; unknown methods and heartbeat types.
  anyJson.map((data) => () => json({ jsonrpc: '2.0', method: 'subscription', params: { channel: ORDERS, data } })),
  anyJson.map((channel) => () => json({ jsonrpc: '2.0', method: 'subscription', params: { channel, data: 1 } })),
  fc
    .record({
      order_id: fc.oneof(fc.string(), fc.integer()),
      order_state: fc.oneof(fc.constantFrom('open', 'filled', 'cancelled'), fc.string()),
      last_update_timestamp: fc.oneof(fc.integer(), fc.string()),
      amount: fc.oneof(fc.double(), fc.string()),
      instrument_name: fc.oneof(fc.constant('BTC-PERPETUAL'), fc.integer()),
    })
    .map((data) => () => json({ jsonrpc: '2.0', method: 'subscription', params: { channel: ORDERS, data } })),
  fc.string().map((type) => () => json({ jsonrpc: '2.0', method: 'heartbeat', params: { type } })),
  fc.string().map((method) => () => json({ jsonrpc: '2.0', method, params: {} })),
)

/** Rare and expensive: a frame over maxPayloadBytes (the client drops that socket and reconnects). */
const oversized: Hostile = () =>
  json({
    jsonrpc: '2.0',
    method: 'subscription',
    params: { channel: TICKER, data: 'x'.repeat(MAX_PAYLOAD_BYTES + 10) },
  })

/** A flood of well-formed notifications. */
const flood =
  (n: number): Hostile =>
  () =>
    Array.from({ length: n }, (_, i) =>
      json({ jsonrpc: '2.0', method: 'subscription', params: { channel: TICKER, data: { i, last_price: 1 } } }),
    ).join('\n')

interface FakeExchange {
  url: string
  /** Frames sent before the answer to the next `public/get_time`. */
  arm(frames: Hostile[]): void
  /** The value the next `public/get_time` answers with. */
  nextTime: number
  connections: number
  close(): Promise<void>
}

async function startFakeExchange(): Promise<FakeExchange> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()))
  let armed: Hostile[] | undefined
  const fake: FakeExchange = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws/api/v2`,
    arm(frames) {
      armed = frames
    },
    nextTime: 0,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate()
        wss.close(() => resolve())
      }),
  }
  const answer = (ws: WebSocket, id: unknown, result: unknown) => ws.send(json({ jsonrpc: '2.0', id, result }))
  wss.on('connection', (ws) => {
    fake.connections++
    ws.on('error', () => {})
    ws.on('message', (raw) => {
      let request: { id?: unknown; method?: string; params?: { channels?: unknown } }
      try {
        request = JSON.parse(String(raw)) as typeof request
      } catch {
        return
      }
      switch (request.method) {
        case 'public/auth':
          return answer(ws, request.id, {
            access_token: `access-${CANARY}-${fake.connections}`,
            refresh_token: `refresh-${CANARY}-${fake.connections}`,
            expires_in: 900,
            scope: 'session:bot mainaccount trade:read_write',
            token_type: 'bearer',
          })
        case 'private/get_account_summary':
          return answer(ws, request.id, { id: 1, currency: 'BTC' })
        case 'private/get_open_orders':
        case 'private/get_open_orders_by_currency':
          return answer(ws, request.id, [])
        case 'public/subscribe':
        case 'private/subscribe':
        case 'public/unsubscribe':
        case 'private/unsubscribe':
          return answer(ws, request.id, request.params?.channels ?? [])
        case 'public/get_time': {
          const frames = armed
          armed = undefined
          const id = typeof request.id === 'number' ? request.id : 0
          for (const frame of frames ?? []) for (const line of frame(id).split('\n')) ws.send(line)
          answer(ws, request.id, fake.nextTime)
          // A duplicate answer after the real one must change nothing.
          answer(ws, request.id, -1)
          return
        }
        case 'public/test':
          return answer(ws, request.id, { version: 'fake' })
        default:
          return answer(ws, request.id, 'ok')
      }
    })
  })
  return fake
}

describe('client fuzz: hostile frames from the exchange', () => {
  let fake: FakeExchange
  let client: DeribitClient
  const { logger, lines } = recordingLogger()
  let delivered = 0

  beforeAll(async () => {
    fake = await startFakeExchange()
    client = new DeribitClient({
      url: fake.url,
      credentials: { clientId: 'fuzz', clientSecret: CANARY },
      sessionName: 'bot',
      heartbeatIntervalSec: 0,
      requestTimeoutMs: 2000,
      maxPayloadBytes: MAX_PAYLOAD_BYTES,
      reconnect: { initialDelayMs: 5, maxDelayMs: 20 },
      logger,
    })
    client.on('error', () => {})
    await client.subscribe([ORDERS, TICKER], () => {
      delivered++
    })
    await client.connect()
  })

  afterAll(async () => {
    await client?.close()
    await fake?.close()
  })

  const prototypeClean = (): void => {
    expect(Object.keys(Object.prototype)).toEqual([])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(Object.getPrototypeOf({})).toBe(Object.prototype)
  }

  it('garbage around a call in flight: the call gets its own answer, the client stays up', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostileFrame, { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        async (frames, time) => {
          fake.arm(frames)
          fake.nextTime = time
          expect(await client.call('public/get_time')).toBe(time)
          prototypeClean()
          expect(client.state).toBe('ready')
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('frames over maxPayloadBytes and notification floods: the client reconnects once and answers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(hostileFrame, { maxLength: 5 }),
        fc.boolean(),
        fc.integer({ min: 100, max: 3000 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        async (frames, big, floodSize, time) => {
          const opened = fake.connections
          const deliveredBefore = delivered
          fake.arm([...frames, flood(floodSize), ...(big ? [oversized] : [])])
          // get_time is a read: when the oversized frame kills its socket, it is asked again on the next one.
          fake.nextTime = time
          // Re-asked after the reconnect, the call meets an unarmed server and gets the plain answer.
          expect(await client.call('public/get_time', undefined, { timeoutMs: 5000 })).toBe(time)
          prototypeClean()
          await waitFor(() => client.state === 'ready', 'ready again')
          expect(fake.connections - opened).toBe(big ? 1 : 0)
          // The flood reached the subscription (in full: it came before any oversized frame).
          expect(delivered - deliveredBefore).toBeGreaterThanOrEqual(floodSize)
        },
      ),
      { numRuns: Math.max(5, Math.floor(RUNS / 4)) },
    )
    expect(canaryAbsent(lines, [CANARY]).problems).toEqual([])
  })
})
