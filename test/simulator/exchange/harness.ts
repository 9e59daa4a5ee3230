/** Test harness: an exchange with a manual clock, a manual market and a sink that records everything. */
import type { CallContext, EventSink, UserEventFamily } from '../../../src/simulator/contract.js'
import { createExchange, type Exchange, type ExchangeOptions } from '../../../src/simulator/exchange/index.js'

export interface PublicEvent {
  channel: string
  data: unknown
}

export interface UserEvent {
  accountId: number
  family: UserEventFamily | 'portfolio' | 'account'
  key: string
  data: unknown
}

/** An EventSink that keeps every event it receives. */
export class RecordingSink implements EventSink {
  readonly published: PublicEvent[] = []
  readonly user: UserEvent[] = []

  publish(channelBase: string, data: unknown): void {
    this.published.push({ channel: channelBase, data })
  }

  publishUser(accountId: number, family: UserEventFamily, instrumentName: string, data: unknown): void {
    this.user.push({ accountId, family, key: instrumentName, data })
  }

  publishPortfolio(accountId: number, currency: string, data: unknown): void {
    this.user.push({ accountId, family: 'portfolio', key: currency, data })
  }

  publishAccount(accountId: number, channel: string, data: unknown): void {
    this.user.push({ accountId, family: 'account', key: channel, data })
  }

  on(channel: string): unknown[] {
    return this.published.filter((e) => e.channel === channel).map((e) => e.data)
  }

  userEvents(accountId: number, family: UserEvent['family']): unknown[] {
    return this.user.filter((e) => e.accountId === accountId && e.family === family).map((e) => e.data)
  }

  clear(): void {
    this.published.length = 0
    this.user.length = 0
  }
}

export interface Harness {
  exchange: Exchange
  sink: RecordingSink
  clock: { now: number }
  /** Calls a method as `accountId` (undefined: unauthenticated) over connection `connectionId`. */
  call<T = Record<string, unknown>>(
    method: string,
    params?: Record<string, unknown>,
    accountId?: number,
    connectionId?: number,
  ): T
  /** Calls and returns the thrown error (fails the test if nothing is thrown). */
  fail(
    method: string,
    params?: Record<string, unknown>,
    accountId?: number,
  ): { code: number; message: string; data?: unknown }
  /** Best bid and ask of an instrument. */
  top(instrument: string): { bid: number; ask: number }
}

const open: Exchange[] = []

/** A fresh exchange; `marketRateHz` 0 unless overridden, so the market only moves on `tick`. */
export function harness(overrides: Partial<ExchangeOptions> = {}): Harness {
  const clock = { now: 1_700_000_000_000 }
  const sink = new RecordingSink()
  const exchange = createExchange({ seed: 42, now: () => clock.now, marketRateHz: 0, ...overrides }, sink)
  open.push(exchange)
  for (const id of [1, 2, 3, 11]) exchange.openAccount(id)
  const call = <T>(
    method: string,
    params: Record<string, unknown> = {},
    accountId?: number,
    connectionId?: number,
  ): T => {
    const handler = exchange.methods[method]
    if (handler === undefined) throw new Error(`no method ${method}`)
    const ctx: CallContext = { accountId, connectionId, transport: 'ws', now: clock.now }
    return handler(params, ctx) as T
  }
  const fail = (method: string, params: Record<string, unknown> = {}, accountId?: number) => {
    try {
      call(method, params, accountId)
    } catch (error) {
      return error as { code: number; message: string; data?: unknown }
    }
    throw new Error(`${method} did not fail`)
  }
  const top = (instrument: string) => {
    const book = call<{ best_bid_price: number; best_ask_price: number }>('public/get_order_book', {
      instrument_name: instrument,
    })
    return { bid: book.best_bid_price, ask: book.best_ask_price }
  }
  return { exchange, sink, clock, call, fail, top }
}

/** Closes every exchange the harness made (call from afterEach). */
export function closeAll(): void {
  for (const exchange of open.splice(0)) exchange.close()
}

/** Adds `address` to `account`'s address book of `type` (with beneficiary facts), as a bot must before sending there. */
export function book(h: Harness, account: number, currency: string, type: string, address: string): void {
  h.call(
    'private/add_to_address_book',
    {
      currency,
      type,
      address,
      label: `${type} ${address}`,
      beneficiary_vasp_name: 'Simulated VASP',
      beneficiary_vasp_did: 'did:sim:vasp',
      beneficiary_company_name: 'Receiver Ltd',
      beneficiary_address: '1 Test Street',
      agreed: true,
      personal: false,
    },
    account,
  )
}
