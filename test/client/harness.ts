import WebSocket from 'ws'
import type { DeribitClientOptions } from '../../src/client/options.js'
import { DeribitClient } from '../../src/client.js'
import type { Order } from '../../src/protocol/types.js'
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/index.js'

/** A simulator, an account with subaccounts, and a client on it; disposed together. */
export interface World extends AsyncDisposable {
  sim: Simulator
  account: { clientId: string; clientSecret: string; mainAccountId: number; subaccountIds: number[] }
  client: DeribitClient
  subA: number
  subB: number
}

/** Starts a fast-heartbeat simulator and a client tuned for tests (short timeouts, quick reconnects). */
export async function startWorld(
  options: { sim?: SimulatorOptions; client?: Partial<DeribitClientOptions> } = {},
): Promise<World> {
  const sim = await startSimulator({ seed: 3, minHeartbeatIntervalSec: 1, marketRateHz: 200, ...options.sim })
  const account = sim.createAccount({ subaccounts: 2 })
  const client = new DeribitClient({
    url: sim.url,
    credentials: { clientId: account.clientId, clientSecret: account.clientSecret },
    sessionName: 'bot',
    heartbeatIntervalSec: 1,
    requestTimeoutMs: 3000,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
    ...options.client,
  })
  return {
    sim,
    account,
    client,
    subA: account.subaccountIds[0] as number,
    subB: account.subaccountIds[1] as number,
    async [Symbol.asyncDispose]() {
      await client.close()
      await sim.close()
    },
  }
}

/**
 * A `ws` class whose socket dies (no close frame) right after writing the next request for
 * `method`, once armed: the request is on the wire and its answer is lost.
 */
export function socketCutAfter(method: string): { WebSocket: typeof WebSocket; arm(): void; fired(): boolean } {
  let armed = false
  let fired = false
  const needle = `"method":"${method}"`
  class CutAfter extends WebSocket {}
  const send = WebSocket.prototype.send
  CutAfter.prototype.send = function (this: WebSocket, ...args: Parameters<typeof send>) {
    send.apply(this, args)
    if (armed && String(args[0]).includes(needle)) {
      armed = false
      fired = true
      this.terminate()
    }
  } as typeof send
  return {
    WebSocket: CutAfter,
    arm: () => {
      armed = true
    },
    fired: () => fired,
  }
}

/**
 * A `ws` class whose connects are refused (sent to a closed loopback port) while `refusing` is
 * set; `once()` refuses only the next one. The first reconnect after a drop goes out at once, so a
 * test that needs the client to stay down refuses it.
 */
export function refusingSockets(): { WebSocket: typeof WebSocket; refuse(on: boolean): void; once(): void } {
  let refusing = false
  let onlyOnce = false
  class Refusing extends WebSocket {
    constructor(...args: unknown[]) {
      const refused = refusing
      if (onlyOnce) refusing = onlyOnce = false
      const [address, ...rest] = args as [string, ...unknown[]]
      super(...([refused ? 'ws://127.0.0.1:1' : address, ...rest] as [string]))
    }
  }
  return {
    WebSocket: Refusing as unknown as typeof WebSocket,
    refuse: (on) => {
      refusing = on
      onlyOnce = false
    },
    once: () => {
      refusing = onlyOnce = true
    },
  }
}

/** Channels the end-to-end client tests watch: two public, one private. */
export const PUBLIC = ['ticker.BTC-PERPETUAL.100ms', 'book.BTC-PERPETUAL.100ms'] as const
export const PRIVATE = ['user.orders.any.any.raw'] as const

/** A world whose client is connected and watches {@link PUBLIC} and {@link PRIVATE}. */
export async function connected(options: Parameters<typeof startWorld>[0] = {}): Promise<World & { watch: Watch }> {
  const world = await startWorld(options)
  const watch = new Watch()
  await world.client.subscribe([...PUBLIC, ...PRIVATE], watch.handler)
  await world.client.connect()
  return Object.assign(world, { watch })
}

/** Polls until `condition` holds; throws with `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Records when each channel last delivered, and every order event seen. */
export class Watch {
  readonly last = new Map<string, number>()
  readonly orders: Order[] = []

  handler = (data: unknown, channel: string): void => {
    this.last.set(channel, Date.now())
    if (channel.startsWith('user.orders.'))
      for (const o of Array.isArray(data) ? data : [data]) this.orders.push(o as Order)
  }

  /** Resolves once every channel delivered after `since`. */
  async deliversAfter(channels: readonly string[], since: number, timeoutMs = 5000): Promise<void> {
    await waitFor(
      () => channels.every((c) => (this.last.get(c) ?? 0) > since),
      `delivery on ${channels.filter((c) => (this.last.get(c) ?? 0) <= since).join(', ')}`,
      timeoutMs,
    )
  }

  sawOrder(orderId: string): boolean {
    return this.orders.some((o) => o.order_id === orderId)
  }
}

/** Rests a bid far below the market so it stays open. */
export async function restingBid(client: DeribitClient, label?: string): Promise<Order> {
  const book = (await client.call('public/get_order_book', { instrument_name: 'BTC-PERPETUAL' })) as {
    best_bid_price: number
  }
  const price = Math.floor((book.best_bid_price * 0.7) / 0.5) * 0.5
  const { order } = await client.buy({
    instrument_name: 'BTC-PERPETUAL',
    amount: 10,
    type: 'limit',
    price,
    ...(label ? { label } : {}),
  })
  return order
}

/** The open-order oracle: the tracker's open orders of a subject equal the exchange's. */
export function trackerMatchesExchange(world: World, subject: number): { missing: string[]; extra: string[] } {
  const exchange = new Set((world.sim.openOrders(subject) as Order[]).map((o) => o.order_id))
  const tracked = new Set(
    world.client.orders
      .forSubject(subject)
      .filter((o) => o.order_state === 'open' || o.order_state === 'untriggered')
      .map((o) => o.order_id),
  )
  return {
    missing: [...exchange].filter((id) => !tracked.has(id)),
    extra: [...tracked].filter((id) => !exchange.has(id)),
  }
}

/** Requests of `method` the simulator received, across every connection. */
export function framesOf(
  sim: Simulator,
  method: string,
): Array<{ connectionId: number; params: Record<string, unknown> }> {
  const out: Array<{ connectionId: number; params: Record<string, unknown> }> = []
  for (const frame of sim.log.allFrames()) {
    if (!frame.text.includes(`"${method}"`)) continue
    const parsed = JSON.parse(frame.text) as { method?: string; params?: Record<string, unknown> }
    if (parsed.method === method) out.push({ connectionId: frame.connectionId, params: parsed.params ?? {} })
  }
  return out
}
