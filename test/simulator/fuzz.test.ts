/**
 * The simulator under hostile input from the client side (issue 7): fast-check generated frames
 * from a raw `ws` client and garbage HTTP requests against a real simulator. Oracles: nothing
 * throws out of the server (vitest fails on any unhandled error), every frame gets exactly one
 * JSON-RPC response — with the request's id when it had a usable one — carrying a result or a
 * known Deribit/JSON-RPC error code, the connection stays open, `Object.prototype` is untouched,
 * and a well-behaved client can still authenticate and subscribe afterwards.
 */
import { request } from 'node:http'
import { connect } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WebSocket } from 'ws'
import { DERIBIT_ERRORS, JSONRPC_ERRORS, MAX_REQUEST_BYTES } from '../../src/protocol/errorCodes.js'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import { authCreds, BareClient, type Json } from './server/helpers.js'

/** Multiplies the runs of each property; raise it (`FUZZ_RUNS=50 npx vitest run test/simulator/fuzz.test.ts`) to hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 1)

const KNOWN_CODES = new Set<number>([
  ...Object.values(DERIBIT_ERRORS),
  ...Object.values(JSONRPC_ERRORS).map((e) => e.code),
])

const METHODS = [
  'public/auth',
  'public/exchange_token',
  'public/fork_token',
  'public/set_heartbeat',
  'public/disable_heartbeat',
  'public/test',
  'public/hello',
  'public/get_time',
  'public/subscribe',
  'public/unsubscribe',
  'public/unsubscribe_all',
  'public/get_book_summary_by_currency',
  'public/get_book_summary_by_instrument',
  'public/get_currencies',
  'public/get_index_price',
  'public/get_instrument',
  'public/get_instruments',
  'public/get_order_book',
  'public/ticker',
  'private/buy',
  'private/sell',
  'private/edit',
  'private/edit_by_label',
  'private/cancel',
  'private/cancel_all',
  'private/cancel_all_by_currency',
  'private/cancel_all_by_instrument',
  'private/cancel_all_by_kind_or_type',
  'private/cancel_by_label',
  'private/close_position',
  'private/enable_cancel_on_disconnect',
  'private/disable_cancel_on_disconnect',
  'private/get_cancel_on_disconnect',
  'private/get_account_summaries',
  'private/get_account_summary',
  'private/get_open_orders',
  'private/get_open_orders_by_currency',
  'private/get_open_orders_by_instrument',
  'private/get_order_state',
  'private/get_order_state_by_label',
  'private/get_position',
  'private/get_positions',
  'private/get_user_trades_by_currency',
  'private/get_user_trades_by_instrument',
  'private/subscribe',
  'private/unsubscribe',
  'private/unsubscribe_all',
  // `private/logout` is left out: it legitimately answers nothing and closes the connection.
]

/** Keys that pollute prototypes when code assigns them blindly, plus the params handlers read. */
const KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__defineGetter__',
  'length',
  'jsonrpc',
  'result',
  'error',
  'access_token',
  'refresh_token',
  'grant_type',
  'client_id',
  'client_secret',
  'scope',
  'session_name',
  'subject_id',
  'interval',
  'expected_result',
  'instrument_name',
  'currency',
  'kind',
  'type',
  'amount',
  'contracts',
  'price',
  'label',
  'order_id',
  'channels',
  'time_in_force',
  'post_only',
  'reduce_only',
  'trigger',
  'trigger_price',
  'depth',
  'count',
  'timestamp',
  'nonce',
  'signature',
  'data',
]

const STRINGS = [
  ...KEYS,
  ...METHODS,
  'BTC-PERPETUAL',
  'ETH-PERPETUAL',
  'BTC-27DEC26',
  'BTC',
  'ETH',
  'any',
  'future',
  'limit',
  'market',
  'client_credentials',
  'refresh_token',
  'book.BTC-PERPETUAL.100ms',
  'book.BTC-PERPETUAL.raw',
  'user.orders.BTC-PERPETUAL.raw',
  'user.orders.any.any.raw',
  'trades.BTC-PERPETUAL.100ms',
  'ticker.BTC-PERPETUAL.100ms',
  'session:fuzz',
  'exception',
  '',
  ' ',
  '\u0000',
  '\ud800',
  '🚀',
  'x'.repeat(2_000),
]

/** Number literals as text: JSON.parse turns 1e400 into Infinity, keeps -0, loses precision past 2^53. */
const NUMBER_TEXT = [
  '0',
  '-0',
  '1',
  '-1',
  '0.5',
  '1e308',
  '-1e308',
  '1e400',
  '-1e400',
  '1e-400',
  '9007199254740993',
  '123456789012345678901234567890',
  '4294967296',
  '-2147483649',
]

const str = (s: string) => JSON.stringify(s)

/** Arbitrary JSON text (not values: `__proto__` keys must stay keys, as on the wire). */
const { json } = fc.letrec<{ json: string; leaf: string; array: string; object: string }>((tie) => ({
  leaf: fc.oneof(
    fc.constantFrom('null', 'true', 'false'),
    fc.constantFrom(...NUMBER_TEXT),
    fc.double().map((d) => JSON.stringify(d)),
    fc.integer().map(String),
    fc.constantFrom(...STRINGS).map(str),
    fc.string({ maxLength: 20 }).map(str),
  ),
  array: fc.array(tie('json'), { maxLength: 4 }).map((items) => `[${items.join(',')}]`),
  object: fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), tie('json')), { maxLength: 5 })
    .map((entries) => `{${entries.map(([k, v]) => `${str(k)}:${v}`).join(',')}}`),
  json: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('leaf'), tie('array'), tie('object')),
}))

/** Params as handlers expect them (an object of known keys) with hostile values. */
const params = fc
  .array(fc.tuple(fc.constantFrom(...KEYS), json), { maxLength: 6 })
  .map((entries) => `{${entries.map(([k, v]) => `${str(k)}:${v}`).join(',')}}`)

/** An id slot: a usable id (filled in with a unique value when sent), a wrong type, or none. */
type IdSlot = { kind: 'usable' } | { kind: 'wrong'; text: string } | { kind: 'none' }

/** A frame before its id is filled in: request members (printable in counterexamples), or raw text. */
type FrameSpec = { id: IdSlot; members: string[] } | { id: { kind: 'none' }; raw: string }

/** The frame's text with `idText` as its id member (if any). */
function frameText(spec: FrameSpec, idText: string | undefined): string {
  if ('raw' in spec) return spec.raw
  const members = idText === undefined ? spec.members : [`"id":${idText}`, ...spec.members]
  return `{${['"jsonrpc":"2.0"', ...members].join(',')}}`
}

const idSlot: fc.Arbitrary<IdSlot> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<IdSlot>({ kind: 'usable' }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom('null', 'true', 'false', '{}', '[]', '[1]', '{"id":1}', '{"__proto__":{"x":1}}'),
        json.filter((t) => {
          const v: unknown = JSON.parse(t)
          return typeof v !== 'number' && typeof v !== 'string'
        }),
      )
      .map((text): IdSlot => ({ kind: 'wrong', text })),
  },
  { weight: 1, arbitrary: fc.constant<IdSlot>({ kind: 'none' }) },
)

/** A request-shaped frame: every field may be missing, of the wrong type, or doubled up with result/error. */
const requestFrame: fc.Arbitrary<FrameSpec> = fc
  .record({
    id: idSlot,
    method: fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...METHODS).map(str) },
      { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map(str) },
      { weight: 1, arbitrary: json },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    params: fc.oneof(
      { weight: 6, arbitrary: params },
      { weight: 2, arbitrary: json },
      { weight: 1, arbitrary: fc.constant(undefined) },
    ),
    extras: fc.array(fc.tuple(fc.constantFrom('jsonrpc', 'result', 'error', ...KEYS.slice(0, 8)), json), {
      maxLength: 3,
    }),
  })
  .map(({ id, method, params: p, extras }): FrameSpec => {
    const members: string[] = []
    if (method !== undefined) members.push(`"method":${method}`)
    if (p !== undefined) members.push(`"params":${p}`)
    for (const [k, v] of extras) members.push(`${str(k)}:${v}`)
    return { id, members }
  })

/** Frames that are not requests at all. */
const junkFrame: fc.Arbitrary<FrameSpec> = fc
  .oneof(
    fc.string({ maxLength: 50 }),
    json,
    fc.constantFrom(
      '',
      ' ',
      '{',
      '}',
      '{"id":1,',
      '{"id":1,"method":"public/test"',
      'null',
      '[]',
      '[{"id":1}]',
      '\u0000',
    ),
    requestFrame.map((f) => frameText(f, '1').slice(0, -1)),
  )
  .map((raw): FrameSpec => ({ id: { kind: 'none' }, raw }))

const frame = fc.oneof({ weight: 4, arbitrary: requestFrame }, { weight: 1, arbitrary: junkFrame })

/** A frame and whether it goes out as binary (the simulator reads binary frames as UTF-8 text too). */
const framed = fc.tuple(
  frame,
  fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
)

/** One frame as sent, with what the oracle expects of its answer. */
interface Sent {
  text: string
  binary: boolean
  /** The id the response must carry: a value, null, or absent (`undefined`). */
  expectId: number | string | null | undefined
}

/** What §10.10 says about a frame's response id, worked out independently of the simulator. */
function expectedId(text: string): number | string | null | undefined {
  if (Buffer.byteLength(text) > MAX_REQUEST_BYTES) return undefined
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return null
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const id = (value as Json).id
  if (typeof id === 'number' || typeof id === 'string') return id
  return null
}

/** A raw connection: every frame the server sends, parsed. */
class RawConnection {
  readonly frames: Json[] = []
  readonly closed: Promise<number>
  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => {})
    ws.on('message', (data) => this.frames.push(JSON.parse(data.toString()) as Json))
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)))
  }

  static async open(url: string): Promise<RawConnection> {
    const ws = new WebSocket(url)
    const conn = new RawConnection(ws)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return conn
  }

  /** Responses only (notifications and test_requests carry a `method`). */
  responses(): Json[] {
    return this.frames.filter((f) => !('method' in f))
  }

  async waitResponses(n: number, timeoutMs = 5_000): Promise<void> {
    const end = Date.now() + timeoutMs
    while (this.responses().length < n) {
      if (Date.now() > end) throw new Error(`got ${this.responses().length} of ${n} responses`)
      await new Promise((r) => setTimeout(r, 2))
    }
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return
    this.ws.close()
    await this.closed
  }
}

/** Every response is a JSON-RPC 2.0 envelope with a result or a known error, never both. */
function checkEnvelope(r: Json): void {
  expect(r.jsonrpc).toBe('2.0')
  const hasResult = 'result' in r
  const hasError = 'error' in r
  expect(hasResult !== hasError, JSON.stringify(r).slice(0, 300)).toBe(true)
  if (hasError) {
    const e = r.error as { code: unknown; message: unknown; data?: { reason?: unknown } }
    expect(KNOWN_CODES.has(e.code as number), `unknown code in ${JSON.stringify(r).slice(0, 300)}`).toBe(true)
    expect(typeof e.message).toBe('string')
    // 11094 is a handler that threw something other than a Deribit error: a simulator bug.
    if (e.code === 11094) expect(e.data?.reason).toBe('expected_result: exception')
  }
}

/** Sends the frames and checks: one response each, ids as expected, envelopes valid, still open. */
async function sendAndCheck(conn: RawConnection, sent: Sent[]): Promise<void> {
  const before = conn.responses().length
  for (const s of sent) conn.ws.send(s.binary ? Buffer.from(s.text) : s.text, { binary: s.binary })
  // A final request proves the connection is still open and bounds the wait for stragglers.
  const sentinel = `sentinel-${before}-${sent.length}`
  conn.ws.send(JSON.stringify({ jsonrpc: '2.0', id: sentinel, method: 'public/test' }))
  await conn.waitResponses(before + sent.length + 1)
  const got = conn.responses().slice(before)
  expect(got).toHaveLength(sent.length + 1)
  for (const r of got) checkEnvelope(r)
  const key = (id: unknown) => (id === undefined ? 'absent' : JSON.stringify(id))
  const expected = new Map<string, number>()
  for (const s of [...sent.map((x) => x.expectId), sentinel]) {
    expected.set(key(s), (expected.get(key(s)) ?? 0) + 1)
  }
  const actual = new Map<string, number>()
  for (const r of got) actual.set(key(r.id), (actual.get(key(r.id)) ?? 0) + 1)
  expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected))
  expect(conn.ws.readyState).toBe(WebSocket.OPEN)
}

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype]
const protoSnapshot = () => PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort().join())

let sim: Simulator
let account: ReturnType<Simulator['createAccount']>
const protoBefore = protoSnapshot()

beforeAll(async () => {
  sim = await startSimulator({ seed: 3, rateLimits: false })
  account = sim.createAccount({ subaccounts: 1 })
})

afterAll(async () => {
  await sim.close()
})

let nextId = 1
function materialize(spec: FrameSpec, binary = false): Sent {
  let idText: string | undefined
  if (spec.id.kind === 'usable') {
    const n = nextId++
    idText = n % 3 === 0 ? str(`s${n}`) : String(n)
  } else if (spec.id.kind === 'wrong') idText = spec.id.text
  const text = frameText(spec, idText)
  return { text, binary, expectId: expectedId(text) }
}

describe('simulator under hostile WebSocket input', () => {
  it(
    'answers every generated frame exactly once with a valid envelope, unauthenticated and authenticated',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(framed, { minLength: 1, maxLength: 25 }), fc.boolean(), async (specs, authed) => {
          const conn = await RawConnection.open(sim.url)
          try {
            if (authed) {
              conn.ws.send(
                JSON.stringify({
                  jsonrpc: '2.0',
                  id: 'auth',
                  method: 'public/auth',
                  params: {
                    grant_type: 'client_credentials',
                    client_id: account.clientId,
                    client_secret: account.clientSecret,
                  },
                }),
              )
              await conn.waitResponses(1)
              expect(conn.responses()[0]?.result).toBeDefined()
            }
            await sendAndCheck(
              conn,
              specs.map(([s, binary]) => materialize(s, binary)),
            )
          } finally {
            await conn.close()
          }
        }),
        { numRuns: 120 * RUNS },
      )
    },
    15_000 * RUNS,
  )

  it('answers binary frames, empty frames, deep nesting, huge numbers and prototype keys', async () => {
    const conn = await RawConnection.open(sim.url)
    const deepArray = `${'['.repeat(12_000)}${']'.repeat(12_000)}`
    const deepObject = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`
    const texts = [
      '',
      ' ',
      `{"jsonrpc":"2.0","id":1,"method":"public/test","params":{"a":${deepArray}}}`,
      `{"jsonrpc":"2.0","id":2,"method":"public/subscribe","params":{"channels":${deepArray}}}`,
      `{"jsonrpc":"2.0","id":3,"method":"public/get_order_book","params":${deepObject}}`,
      `{"jsonrpc":"2.0","id":${deepArray},"method":"public/test"}`,
      `{"jsonrpc":"2.0","id":4,"method":"public/get_order_book","params":{"instrument_name":"BTC-PERPETUAL","depth":1e400}}`,
      `{"jsonrpc":"2.0","id":5,"method":"public/get_order_book","params":{"instrument_name":"BTC-PERPETUAL","depth":123456789012345678901234567890}}`,
      `{"jsonrpc":"2.0","id":6,"method":"public/set_heartbeat","params":{"interval":-1e308}}`,
      // Over Node's longest timer (~24.8 days): must not become a 1 ms test_request storm and a close.
      `{"jsonrpc":"2.0","id":"hb","method":"public/set_heartbeat","params":{"interval":1e300}}`,
      `{"jsonrpc":"2.0","id":7,"method":"public/test","params":{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}}`,
      `{"jsonrpc":"2.0","id":8,"method":"__proto__","params":{}}`,
      `{"jsonrpc":"2.0","id":9,"method":"constructor","params":{}}`,
      `{"jsonrpc":"2.0","id":10,"method":"toString","params":{}}`,
      `{"jsonrpc":"2.0","id":11,"method":"hasOwnProperty","params":{}}`,
      `{"jsonrpc":"2.0","id":12,"method":"public/test","result":{},"error":{"code":1,"message":"x"}}`,
      `{"jsonrpc":"2.0","id":13,"result":{"x":1}}`,
      `{"jsonrpc":"2.0","id":14,"error":{"code":10028,"message":"too_many_requests"}}`,
      `{"__proto__":{"id":15,"method":"public/test"}}`,
      `{"jsonrpc":"2.0","id":16,"method":"public/auth","params":{"grant_type":"client_credentials","client_id":{"__proto__":null},"client_secret":["x"]}}`,
      `{"jsonrpc":"2.0","id":17,"method":"public/subscribe","params":{"channels":["__proto__","constructor.prototype","book.__proto__.100ms","user.orders.__proto__.raw"]}}`,
      `{"jsonrpc":"2.0","id":18,"method":"private/get_position","params":{"instrument_name":"__proto__"}}`,
      `{"jsonrpc":"2.0","id":19,"method":"public/get_instrument","params":{"instrument_name":"constructor"}}`,
      `{"jsonrpc":"2.0","id":20,"method":"public/ticker","params":{"instrument_name":"hasOwnProperty"}}`,
      `{"jsonrpc":"2.0","id":21,"method":"public/get_book_summary_by_currency","params":{"currency":"__proto__"}}`,
      `{"jsonrpc":"2.0","id":1e400,"method":"public/test"}`,
      `{"jsonrpc":"2.0","id":-0,"method":"public/test"}`,
    ]
    const sent: Sent[] = texts.map((text) => ({ text, binary: false, expectId: expectedId(text) }))
    // JSON.stringify(Infinity) is null: an id of 1e400 cannot be echoed as sent.
    sent[sent.length - 2]!.expectId = null
    // Binary frames are read as UTF-8 text, like text frames; random bytes are a parse error.
    sent.push({ text: '{"jsonrpc":"2.0","id":"bin","method":"public/test"}', binary: true, expectId: 'bin' })
    sent.push({ text: '\u00ff\u00fe garbage', binary: true, expectId: null })
    await sendAndCheck(conn, sent)
    const deep = conn.responses().find((r) => r.id === 1)
    expect(deep?.result).toBeDefined()
    expect(conn.responses().find((r) => r.id === 'hb')?.result).toBe('ok')
    await new Promise((r) => setTimeout(r, 50))
    expect(conn.frames.filter((f) => f.method === 'heartbeat')).toEqual([])
    expect(conn.ws.readyState).toBe(WebSocket.OPEN)
    conn.ws.send(Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x80]), { binary: true })
    await conn.waitResponses(sent.length + 2)
    expect(conn.responses().at(-1)?.error).toMatchObject({ code: -32700 })
    await conn.close()
  })

  it('answers frames over 32 kB with -32600 and no id, and keeps the connection open', async () => {
    const conn = await RawConnection.open(sim.url)
    const big = (n: number) => `{"jsonrpc":"2.0","id":99,"method":"public/test","params":{"pad":"${'x'.repeat(n)}"}}`
    await sendAndCheck(conn, [
      { text: big(MAX_REQUEST_BYTES), binary: false, expectId: undefined },
      { text: big(1_000_000), binary: false, expectId: undefined },
      { text: big(40_000), binary: true, expectId: undefined },
      { text: big(MAX_REQUEST_BYTES - 200), binary: false, expectId: 99 },
    ])
    for (const r of conn.responses().filter((x) => !('id' in x))) {
      expect((r.error as { code: number }).code).toBe(-32600)
    }
    await conn.close()
  })

  it('answers a flood of 5,000 hostile requests exactly once each', async () => {
    const conn = await RawConnection.open(sim.url)
    const specs = fc.sample(frame, { numRuns: 5_000, seed: 42 })
    await sendAndCheck(
      conn,
      specs.map((s) => materialize(s)),
    )
    await conn.close()
  })

  it('under rate limits, answers every request before the 10028 once, then closes with 1008', async () => {
    const limited = await startSimulator({ seed: 4 })
    try {
      const conn = await RawConnection.open(limited.url)
      for (let i = 1; i <= 5_000; i++)
        conn.ws.send(JSON.stringify({ jsonrpc: '2.0', id: i, method: 'public/get_time' }))
      expect(await conn.closed).toBe(1008)
      const responses = conn.responses()
      const ids = responses.map((r) => r.id as number)
      expect(new Set(ids).size).toBe(ids.length)
      const limitedOnes = responses.filter((r) => (r.error as { code?: number } | undefined)?.code === 10028)
      expect(limitedOnes).toHaveLength(1)
      expect(responses.at(-1)).toBe(limitedOnes[0])
      // Every request before the one refused was answered.
      const refused = limitedOnes[0]!.id as number
      expect(ids.filter((id) => id < refused).sort((a, b) => a - b)).toEqual(
        Array.from({ length: refused - 1 }, (_, i) => i + 1),
      )
      for (const r of responses) checkEnvelope(r)
    } finally {
      await limited.close()
    }
  })

  it('leaves Object.prototype untouched and serves a well-behaved client afterwards', async () => {
    expect(protoSnapshot()).toEqual(protoBefore)
    expect(({} as Json).polluted).toBeUndefined()
    const c = await BareClient.connect(sim.url)
    await authCreds(c, account)
    const subscribed = await c.result('private/subscribe', {
      channels: ['book.BTC-PERPETUAL.100ms', 'user.orders.BTC-PERPETUAL.raw'],
    })
    expect(subscribed).toEqual(['book.BTC-PERPETUAL.100ms', 'user.orders.BTC-PERPETUAL.raw'])
    await c.waitFor((f) => f.method === 'subscription' && (f.params as Json).channel === 'book.BTC-PERPETUAL.100ms')
    await c.result('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market', label: 'after-fuzz' })
    await c.waitFor(
      (f) => f.method === 'subscription' && (f.params as Json).channel === 'user.orders.BTC-PERPETUAL.raw',
    )
    await c.close()
  })
})

interface HttpAnswer {
  status: number
  contentType: string | undefined
  body: string
}

function httpRequest(options: {
  method: string
  path: string
  headers: Record<string, string>
  body: string | undefined
}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: sim.port, method: options.method, path: options.path, headers: options.headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers['content-type'],
            body: Buffer.concat(chunks).toString(),
          }),
        )
        res.on('error', reject)
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** A raw HTTP/1.1 exchange, for request targets `http.request` would refuse to send. */
function rawHttp(text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(sim.port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c: Buffer) => chunks.push(c))
    socket.on('error', () => {})
    socket.on('close', () => resolve(Buffer.concat(chunks).toString()))
    socket.end(text)
  })
}

function checkHttpAnswer(a: HttpAnswer): void {
  const where = `${a.status} ${a.body.slice(0, 300)}`
  expect(a.status, where).not.toBe(500)
  expect(a.contentType).toBe('application/json')
  expect(a.body, where).not.toMatch(/\n\s+at /)
  checkEnvelope(JSON.parse(a.body) as Json)
}

/** Percent-encodes; a lone surrogate becomes an invalid UTF-8 escape, which is hostile input too. */
function enc(s: string): string {
  try {
    return encodeURIComponent(s)
  } catch {
    return '%ED%A0%80'
  }
}

const pathSegment = fc.oneof(
  fc.constantFrom(...METHODS, 'public/__proto__', 'private/constructor', '__proto__', 'public/', 'private', ''),
  fc.string({ maxLength: 20 }).map(enc),
  fc.constantFrom('%', '%zz', '..', '../..', '%2e%2e/', '//', 'public/test/extra', 'public%2Ftest'),
)
const queryValue = fc.oneof(
  fc.constantFrom(...STRINGS, ...NUMBER_TEXT, '{"__proto__":{"polluted":1}}', '[1,2', '{', 'true', 'null'),
  json,
)
const query = fc
  .array(
    fc.tuple(fc.oneof(fc.constantFrom(...KEYS, 'channels[]', '__proto__[]'), fc.string({ maxLength: 6 })), queryValue),
    {
      maxLength: 5,
    },
  )
  .map((pairs) => pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&'))
const authorization = fc.oneof(
  fc.constant(undefined),
  fc.constantFrom(
    'Bearer',
    'Bearer ',
    'Bearer junk',
    'Basic',
    'Basic !!!',
    'Basic Og==',
    'deri-hmac-sha256',
    'deri-hmac-sha256 id=,ts=abc,sig=,nonce=',
    'deri-hmac-sha256 id=x,ts=1e400,sig=00,nonce=1',
    'deri-hmac-sha256 ===,,,',
    ' ',
    'nonsense',
  ),
  fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
)
const httpCase = fc.record({
  method: fc.constantFrom('GET', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
  path: fc.tuple(pathSegment, query).map(([p, q]) => `/api/v2/${p}${q === '' ? '' : `?${q}`}`),
  authorization,
  body: fc.oneof(
    fc.constant(undefined),
    requestFrame.map((f) => frameText(f, '7')),
    json,
    fc.string({ maxLength: 40 }),
    fc.constant(`{"pad":"${'x'.repeat(40_000)}"}`),
  ),
  contentType: fc.constantFrom(undefined, 'application/json', 'text/plain', 'application/x-www-form-urlencoded'),
})

describe('simulator under hostile HTTP input', () => {
  it(
    'always answers a JSON-RPC envelope, never a 500 or a stack trace',
    async () => {
      await fc.assert(
        fc.asyncProperty(httpCase, async (c) => {
          const headers: Record<string, string> = {}
          if (c.authorization !== undefined) headers.authorization = c.authorization
          if (c.contentType !== undefined) headers['content-type'] = c.contentType
          // Without it Node sends a GET body unframed, and the server rightly reads it as the next request.
          if (c.body !== undefined) headers['content-length'] = String(Buffer.byteLength(c.body))
          checkHttpAnswer(await httpRequest({ method: c.method, path: c.path, headers, body: c.body }))
        }),
        { numRuns: 300 * RUNS },
      )
    },
    15_000 * RUNS,
  )

  it('keeps a query key named __proto__ a param, not the prototype of the params', async () => {
    const q = enc('{"instrument_name":"BTC-PERPETUAL"}')
    const a = await httpRequest({
      method: 'GET',
      path: `/api/v2/public/get_instrument?__proto__=${q}`,
      headers: {},
      body: undefined,
    })
    checkHttpAnswer(a)
    expect((JSON.parse(a.body) as Json).error).toMatchObject({ code: -32602, data: { param: 'instrument_name' } })
  })

  it('answers odd request targets with a JSON-RPC error', async () => {
    for (const target of [
      'http://[',
      'http://x/api/v2/public/test',
      '*',
      '/api/v2/public/test?%',
      '/%00',
      '//api/v2/',
    ]) {
      const answer = await rawHttp(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
      // The HTTP parser may refuse a target outright (400, connection closed): that is not the API answering.
      if (answer === '' || !answer.includes('content-type: application/json')) continue
      const [head, body = ''] = answer.split('\r\n\r\n')
      const status = Number(head?.split(' ')[1])
      checkHttpAnswer({ status, contentType: 'application/json', body })
    }
    expect(protoSnapshot()).toEqual(protoBefore)
  })
})
