import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { AccessLog, accessLogMethods } from './accessLog.js'
import { AccountBook, type CreatedAccount } from './accounts.js'
import { apiKeyMethods } from './apiKeyMethods.js'
import { authMethods } from './authMethods.js'
import { createClock } from './clock.js'
import { ConnectionLog, type ConnectionLogView } from './connectionLog.js'
import { connectionMethods } from './connectionMethods.js'
import type { CallContext } from './contract.js'
import { Dispatcher } from './dispatcher.js'
import type { CustodyLink } from './exchange/custody.js'
import { FaultState } from './faultState.js'
import { createFaults, type SimulatorFaults } from './faults.js'
import { HttpApi } from './httpApi.js'
import type { ExchangeFactory, ExchangeWithMarket, MarketControls } from './market.js'
import { resolveOptions, type SimulatorOptions } from './options.js'
import { RateLimiter } from './rateLimiter.js'
import type { ServerDeps } from './serverMethod.js'
import { SessionStore } from './sessions.js'
import { type SimulatorStats, StatsCounter } from './stats.js'
import { SubscriptionHub } from './subscriptionHub.js'
import { subscriptionMethods } from './subscriptionMethods.js'
import { WS_PATH, WsGateway } from './wsGateway.js'

/** Options of {@link SimulatorHandle.createAccount}. */
export interface CreateAccountOptions {
  /** How many subaccounts the main account gets. @default 0 */
  subaccounts?: number
}

/** A running simulator. */
export interface SimulatorHandle<M extends MarketControls = MarketControls> extends AsyncDisposable {
  /** `ws://HOST:PORT/ws/api/v2`. */
  readonly url: string
  /** `http://HOST:PORT` (methods at `/api/v2/{method}`). */
  readonly httpUrl: string
  /** The TCP port it listens on (the one picked when `port` was 0). */
  readonly port: number
  /** A main account with an API key, and its subaccounts. */
  createAccount(options?: CreateAccountOptions): CreatedAccount
  /** Fault injection: dropped and half-open connections, delayed responses, forced errors, expired or revoked tokens, book gaps. */
  readonly faults: SimulatorFaults
  /** The exchange's market generator controls. */
  readonly market: M
  /** Frames received from each client. */
  readonly log: ConnectionLogView
  /** Live counters of what the server did (requests per method, auths per grant type, refreshes, notifications...). */
  readonly stats: SimulatorStats
  /** The channels the server holds for a connection. */
  subscriptionsOf(connectionId: number): string[]
  /** The open orders of an account, as the exchange reports them. */
  openOrders(accountId: number): unknown[]
  /**
   * How many orders an account has ever placed (any state), optionally only those with a label:
   * the oracle for "nothing placed twice".
   */
  orderCount(accountId: number, label?: string): number
  /**
   * Credits a deposit to an account from outside the simulator (a faucet): the balance grows
   * and the deposit shows in `private/get_deposits`. With `from`, the deposit comes from that
   * outside address: unless the account declared it a `deposit_source` in its address book, it
   * waits (`pending_user_input`) until the account names its originator with
   * `private/set_clearance_originator`. Throws when the exchange has no wallet.
   */
  deposit(accountId: number, currency: string, amount: number, from?: string): void
  /**
   * Links a custody account (Copper, Cobo) holding `balance` to an account, as if it had set one
   * up with the custodian; `private/list_custody_accounts` lists it.
   */
  linkCustodyAccount(accountId: number, link: CustodyLink): void
  /**
   * Locks (or unlocks) an account's currency as a risk desk would: new orders in it are refused,
   * `private/get_user_locks` reports it and `user.lock` announces it.
   */
  lockAccount(accountId: number, currency: string, locked: boolean): void
  /** Publishes an announcement: `public/get_announcements`, `private/get_new_announcements` and the `announcements` channel. */
  announce(title: string, body: string, important?: boolean): void
  /** Closes every socket, the server and the exchange's timers. Safe to call twice. */
  close(): Promise<void>
}

const ORDER_CURRENCIES = ['BTC', 'ETH', 'USDC', 'USDT', 'EURR']

/** Starts the server side over the exchange `makeExchange` builds. */
export async function startSimulatorServer<E extends ExchangeWithMarket>(
  options: SimulatorOptions,
  makeExchange: ExchangeFactory<E>,
): Promise<SimulatorHandle<E['market']>> {
  const opts = resolveOptions(options)
  const clock = createClock(opts.now)
  const stats = new StatsCounter()
  const log = new ConnectionLog()
  const accounts = new AccountBook(clock.nowMs)
  const sessions = new SessionStore(clock.nowMs, opts.tokenLifetimeSec, opts.maxSessionsPerKey, opts.tokenFormat)
  let instrumentOf: ServerDeps['exchange']['instrument'] = () => undefined
  const hub = new SubscriptionHub(
    (name) => instrumentOf(name),
    (n) => {
      stats.notificationsSent += n
    },
  )
  const exchange = makeExchange(
    {
      seed: opts.seed,
      now: clock.nowMs,
      ...(opts.marketRateHz === undefined ? {} : { marketRateHz: opts.marketRateHz }),
      directory: {
        addSubaccount: (mainAccountId) => accounts.addSubaccount(mainAccountId),
        removeSubaccount: (accountId) => accounts.removeSubaccount(accountId),
      },
    },
    hub,
  )
  instrumentOf = (name) => exchange.instrument(name)
  const limiter = opts.rateLimits === false ? undefined : new RateLimiter(opts.rateLimits, clock.nowMs)
  const faultState = new FaultState()

  let gateway: WsGateway | undefined
  const deps: ServerDeps = {
    options: opts,
    clock,
    accounts,
    sessions,
    hub,
    exchange,
    stats,
    log,
    accessLog: new AccessLog(clock.nowMs, (accountId, entry) =>
      hub.publishAccount(accountId, 'user.access_log', entry),
    ),
    codByAccount: new Map(),
    authenticate: (conn, session, accessToken) => gateway?.authenticate(conn, session, accessToken),
  }
  const methods = {
    ...authMethods(deps),
    ...connectionMethods(deps, (id, sec) => gateway?.startHeartbeat(id, sec)),
    ...subscriptionMethods(deps),
    ...apiKeyMethods(deps),
    ...accessLogMethods(deps),
  }
  const dispatcher = new Dispatcher(deps, methods, faultState)
  gateway = new WsGateway(deps, dispatcher, limiter)
  const http = new HttpApi(deps, dispatcher, limiter)
  const server: Server = createServer((req, res) => http.handle(req, res))
  gateway.attach(server)
  server.on('clientError', (_err, socket) => socket.destroy())

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(opts.port, opts.host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    exchange.close()
    throw err
  }
  const port = (server.address() as AddressInfo).port
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host
  const faults = createFaults(gateway, sessions, faultState, exchange.market)
  const ws = gateway

  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= (async () => {
      faultState.reset()
      await ws.close()
      exchange.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    })()
    return closing
  }

  return {
    url: `ws://${hostForUrl}:${port}${WS_PATH}`,
    httpUrl: `http://${hostForUrl}:${port}`,
    port,
    createAccount: ({ subaccounts = 0 } = {}) =>
      accounts.createAccount(subaccounts, (id, mainAccountId) =>
        exchange.openAccount(id, {
          type: id === mainAccountId ? 'main' : 'subaccount',
          username: `sim_${id}`,
          mainAccountId,
        }),
      ),
    faults,
    market: exchange.market,
    log,
    stats,
    subscriptionsOf: (connectionId) => {
      const conn = ws.connections.get(connectionId)
      return conn === undefined ? [] : hub.channelsOf(conn)
    },
    deposit(accountId, currency, amount, from) {
      if (exchange.deposit === undefined) throw new Error('this exchange has no wallet')
      exchange.deposit(accountId, currency, amount, from)
    },
    linkCustodyAccount(accountId, link) {
      if (exchange.linkCustodyAccount === undefined) throw new Error('this exchange has no custody accounts')
      exchange.linkCustodyAccount(accountId, link)
    },
    lockAccount(accountId, currency, locked) {
      if (exchange.lockAccount === undefined) throw new Error('this exchange has no account locks')
      exchange.lockAccount(accountId, currency, locked)
    },
    announce(title, body, important = false) {
      if (exchange.announce === undefined) throw new Error('this exchange has no announcements')
      exchange.announce(title, body, important)
    },
    orderCount(accountId, label) {
      return exchange.orderCount?.(accountId, label) ?? 0
    },
    openOrders(accountId) {
      if (exchange.openOrders !== undefined) return exchange.openOrders(accountId)
      const ctx: CallContext = { accountId, connectionId: undefined, transport: 'http', now: clock.nowMs() }
      const all = exchange.methods['private/get_open_orders']
      if (all !== undefined) return asArray(all({}, ctx))
      const byCurrency = exchange.methods['private/get_open_orders_by_currency']
      if (byCurrency === undefined) return []
      const orders: unknown[] = []
      for (const currency of ORDER_CURRENCIES) {
        try {
          orders.push(...asArray(byCurrency({ currency }, ctx)))
        } catch {
          // A currency the exchange does not list.
        }
      }
      return orders
    },
    close,
    [Symbol.asyncDispose]: close,
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : []
}
