import { afterEach } from 'vitest'
import { WebSocket } from 'ws'
import { isIncrementalBookChannel } from '../../../src/protocol/channels.js'
import type { EventSink, InstrumentFacts, MethodHandler } from '../../../src/simulator/contract.js'
import type { ExchangeWithMarket } from '../../../src/simulator/market.js'
import type { SimulatorOptions } from '../../../src/simulator/options.js'
import { type SimulatorHandle, startSimulatorServer } from '../../../src/simulator/server.js'

/** A JSON value as parsed from a frame. */
export type Json = Record<string, unknown>

/** A small stand-in exchange, so the server can be tested alone. */
export interface FakeExchange extends ExchangeWithMarket {
  sink: EventSink
  orders: Array<{ id: string; accountId: number; connectionId: number | undefined; open: boolean }>
  marketCalls: string[]
  closed: boolean
}

const INSTRUMENTS: Record<string, InstrumentFacts> = {
  'BTC-PERPETUAL': {
    instrument_name: 'BTC-PERPETUAL',
    kind: 'future',
    base_currency: 'BTC',
    settlement_currency: 'BTC',
  },
  'ETH-PERPETUAL': {
    instrument_name: 'ETH-PERPETUAL',
    kind: 'future',
    base_currency: 'ETH',
    settlement_currency: 'ETH',
  },
}

export function fakeExchange(sink: EventSink): FakeExchange {
  const orders: FakeExchange['orders'] = []
  const marketCalls: string[] = []
  const buy: MethodHandler = (params, ctx) => {
    const name = String(params.instrument_name)
    if (INSTRUMENTS[name] === undefined) throw new Error('unknown instrument')
    const order = {
      order_id: `O-${orders.length + 1}`,
      instrument_name: name,
      order_state: 'open',
      amount: params.amount,
    }
    orders.push({ id: order.order_id, accountId: ctx.accountId ?? -1, connectionId: ctx.connectionId, open: true })
    sink.publishUser(ctx.accountId ?? -1, 'orders', name, order)
    return { order, trades: [] }
  }
  const ex: FakeExchange = {
    sink,
    orders,
    marketCalls,
    closed: false,
    methods: {
      'private/buy': buy,
      'private/get_open_orders': (_p, ctx) =>
        orders.filter((o) => o.open && o.accountId === ctx.accountId).map((o) => ({ order_id: o.id })),
      'public/get_index_price': () => ({ index_price: 100 }),
      'private/whoami': (_p, ctx) => ({ accountId: ctx.accountId, transport: ctx.transport }),
      'public/explode': () => {
        throw new Error('boom')
      },
    },
    openAccount() {},
    instrument: (name) => INSTRUMENTS[name],
    isPublicChannel(channel) {
      const parts = channel.split('.')
      if (channel === 'deribit_price_index.btc_usd') return true
      const iv = parts[parts.length - 1] ?? ''
      if (!['raw', '100ms', 'agg2'].includes(iv)) return false
      if (parts.length === 3)
        return ['book', 'trades', 'ticker'].includes(parts[0] ?? '') && INSTRUMENTS[parts[1] ?? ''] !== undefined
      return parts.length === 4 && parts[0] === 'trades'
    },
    snapshotFor(channel) {
      // Like the real exchange, only the channels that start with a snapshot have one.
      return isIncrementalBookChannel(channel)
        ? { type: 'snapshot', channel, change_id: 7, bids: [], asks: [] }
        : undefined
    },
    cancelOrdersOfConnection(connectionId) {
      let n = 0
      for (const o of orders) {
        if (o.open && o.connectionId === connectionId) {
          o.open = false
          n++
        }
      }
      return n
    },
    close() {
      ex.closed = true
    },
    market: {
      pause: () => void marketCalls.push('pause'),
      resume: () => void marketCalls.push('resume'),
      setRate: (hz) => void marketCalls.push(`rate:${hz}`),
      burstTrades: (i, n) => void marketCalls.push(`burst:${i}:${n}`),
      skipChangeId: (i) => void marketCalls.push(`skip:${i}`),
    },
  }
  return ex
}

/** A simulator over the fake exchange. */
export async function startFake(
  options: SimulatorOptions = {},
): Promise<{ sim: SimulatorHandle; exchange: FakeExchange }> {
  let exchange: FakeExchange | undefined
  const sim = await startSimulatorServer({ rateLimits: false, ...options }, (_o, sink) => {
    exchange = fakeExchange(sink)
    return exchange
  })
  return { sim, exchange: exchange! }
}

/**
 * One simulator per test and the bare clients it connected, all closed after each test.
 * Call it at the top of a test file; `start` merges its options over the file's defaults.
 */
export function simFixture(defaults: SimulatorOptions = {}) {
  let current: { sim: SimulatorHandle; exchange: FakeExchange } | undefined
  const clients: BareClient[] = []
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()))
    await current?.sim.close()
    current = undefined
  })
  return {
    async start(options: SimulatorOptions = {}) {
      current = await startFake({ ...defaults, ...options })
      return current
    },
    async connect(): Promise<BareClient> {
      if (!current) throw new Error('simFixture: start() first')
      const c = await BareClient.connect(current.sim.url)
      clients.push(c)
      return c
    },
  }
}

/** A bare `ws` client: requests by id, notifications collected, close observed. */
export class BareClient {
  readonly frames: Json[] = []
  readonly rawFrames: string[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  #nextId = 1
  #waiters: Array<{ test: (f: Json) => boolean; resolve: (f: Json) => void }> = []

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
    })
    ws.on('error', () => {})
    ws.on('message', (data) => {
      const text = data.toString()
      this.rawFrames.push(text)
      let frame: Json
      try {
        frame = JSON.parse(text) as Json
      } catch {
        frame = { unparseable: text }
      }
      this.frames.push(frame)
      for (const w of [...this.#waiters]) {
        if (w.test(frame)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1)
          w.resolve(frame)
        }
      }
    })
  }

  static async connect(url: string): Promise<BareClient> {
    const ws = new WebSocket(url)
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve())
      ws.once('error', reject)
    })
    return new BareClient(ws)
  }

  /** Resolves with the first frame (already received or future) that passes `test`. */
  waitFor(test: (f: Json) => boolean, timeoutMs = 3000): Promise<Json> {
    const seen = this.frames.find(test)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a frame')), timeoutMs)
      this.#waiters.push({
        test,
        resolve: (f) => {
          clearTimeout(timer)
          resolve(f)
        },
      })
    })
  }

  send(text: string): void {
    this.ws.send(text)
  }

  /** Sends a request and resolves with its response frame. */
  call(method: string, params: Json = {}): Promise<Json> {
    const id = this.#nextId++
    this.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    return this.waitFor((f) => f.id === id)
  }

  /** The result of a call, or a thrown error holding the error object. */
  async result(method: string, params: Json = {}): Promise<unknown> {
    const r = await this.call(method, params)
    if (r.error !== undefined) throw new Error(`${method} failed: ${JSON.stringify(r.error)}`)
    return r.result
  }

  notifications(channel?: string): Json[] {
    return this.frames.filter(
      (f) => f.method === 'subscription' && (channel === undefined || (f.params as Json).channel === channel),
    )
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close()
    else if (this.ws.readyState === WebSocket.CLOSED) return
    await this.closed
  }
}

/** The error object of a response frame. */
export function errorOf(frame: Json): { code: number; message: string; data?: unknown } {
  return frame.error as { code: number; message: string; data?: unknown }
}

/** Client-credentials auth; returns the result. */
export async function authCreds(
  c: BareClient,
  account: { clientId: string; clientSecret: string },
  scope?: string,
): Promise<{ access_token: string; refresh_token: string; scope: string; expires_in: number }> {
  return (await c.result('public/auth', {
    grant_type: 'client_credentials',
    client_id: account.clientId,
    client_secret: account.clientSecret,
    ...(scope === undefined ? {} : { scope }),
  })) as { access_token: string; refresh_token: string; scope: string; expires_in: number }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls until `test` holds (server-side effects that follow a client-visible close). */
export async function until(test: () => boolean, timeoutMs = 2000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!test()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await sleep(5)
  }
}
