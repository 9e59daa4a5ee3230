/**
 * The exchange side of the simulator: instruments, a seeded market, price-time matching and
 * per-account ledgers, behind the {@link ExchangeSide} seam the server dispatches to.
 */
import type { Order } from '../../protocol/types.js'
import type { AccountDirectory, EventSink, ExchangeSide, InstrumentFacts, MethodHandler } from '../contract.js'
import { marginsOf } from './accountViews.js'
import { AddressBeneficiaries } from './addressBeneficiaries.js'
import { AddressBook } from './addressBook.js'
import { BookFeed } from './bookFeed.js'
import { DAY_MS, nextDailySettlement } from './calendar.js'
import { channelRefusal, type GroupedView, groupedViews, isPublicChannelName, parseBookChannel } from './channels.js'
import { CustodyAccounts, type CustodyLink } from './custody.js'
import type { ExchangeCore } from './exchangeCore.js'
import { MarketHistory } from './history.js'
import type { InstrumentSpec } from './instruments.js'
import { type AccountProfile, DEFAULT_STARTING_BALANCE, Ledger } from './ledger.js'
import { LinkedOrders } from './linkedOrders.js'
import { COINS, Listing, type Roll } from './listing.js'
import { coinOf, Market, markFrom } from './market.js'
import { MarketFeeds } from './marketFeeds.js'
import { DEFAULT_MARKET_RATE_HZ, MarketGenerator } from './marketGenerator.js'
import { MatchingEngine } from './matchingEngine.js'
import { accountMethods } from './methods/account.js'
import { accountSettingsMethods } from './methods/accountSettings.js'
import { addressBookMethods } from './methods/addressBook.js'
import { custodyMethods } from './methods/custody.js'
import { historyMethods } from './methods/history.js'
import { marketDataMethods } from './methods/marketData.js'
import { notSimulatedMethods } from './methods/notSimulated.js'
import { orderHistoryMethods } from './methods/orderHistory.js'
import { orderQueryMethods } from './methods/orderQueries.js'
import { orderMethods } from './methods/orders.js'
import { portfolioMarginMethods } from './methods/portfolioMargin.js'
import { quoteMethods } from './methods/quotes.js'
import { referenceDataMethods } from './methods/referenceData.js'
import { subaccountMethods } from './methods/subaccounts.js'
import { supportingMethods } from './methods/supporting.js'
import { tradeTapeMethods } from './methods/tradeTape.js'
import { walletMethods } from './methods/wallet.js'
import { Mmp } from './mmp.js'
import { round8 } from './numbers.js'
import { OrderIds, orderWire } from './orderRecord.js'
import { Random } from './random.js'
import { deliveryPrice, settleFunding, settlePositions } from './settlement.js'
import { Tape } from './tape.js'
import { Wallet } from './wallet.js'

export type { AccountProfile } from './ledger.js'
export { DEFAULT_STARTING_BALANCE } from './ledger.js'
export { DEFAULT_MARKET_RATE_HZ } from './marketGenerator.js'
export { MARKET_MAKER_ACCOUNT } from './orderRecord.js'

/** How to build an exchange. */
export interface ExchangeOptions {
  /** Seed of the market generator: the same seed and clock give the same market. */
  seed: number
  /** The simulator clock, ms since epoch. */
  now: () => number
  /**
   * Generator steps per second (each moves the index and requotes or trades one instrument).
   * 0 leaves only manual `market.tick()`.
   * @default 10
   */
  marketRateHz?: number
  /**
   * Balance per currency every new account starts with.
   * @default {@link DEFAULT_STARTING_BALANCE} (`{BTC: 10, ETH: 100, USDC: 100000}`)
   */
  startingBalance?: Record<string, number>
  /**
   * The server's account registry, told about subaccounts created and removed through the API.
   * Without one (an exchange on its own, in tests) new subaccount ids count up from 900,001.
   */
  directory?: AccountDirectory
}

/** Controls over the simulated market, for tests and benchmarks. */
export interface MarketControls {
  /** Stops the generator's timer (manual ticks still work). */
  pause(): void
  /** Restarts the generator's timer. */
  resume(): void
  /** Generator steps per second; 0 stops the timer. */
  setRate(eventsPerSec: number): void
  /**
   * Emits exactly `count` single-trade `trades.{instrument}` events with increasing `trade_seq`,
   * synchronously in chunks of 10,000 with `setImmediate` between them. Resolves when all are out.
   * Throws for an unknown instrument.
   */
  burstTrades(instrument: string, count: number): Promise<void>
  /** Emits exactly `count` `book.{instrument}` changes (resized maker quotes), chunked like `burstTrades`. */
  burstBookChanges(instrument: string, count: number): Promise<void>
  /** Loses one change: the next `book.{instrument}` change's `prev_change_id` will not chain. */
  skipChangeId(instrument: string): void
  /** Advances the generator `n` steps synchronously (default 1). */
  tick(n?: number): void
  /**
   * Lists a strike further out on each side of every live option expiry of `currency` (`BTC` or
   * `ETH`) now, as the exchange does by itself when the index nears the edge of a ladder: each new
   * call and put is announced `created` then `started` on `instrument.state.*`. Returns their names.
   */
  listStrikes(currency: string): string[]
}

/** The exchange side plus controls and oracles for tests. */
export interface Exchange extends ExchangeSide {
  /** The market generator's controls (`sim.market`). */
  readonly market: MarketControls
  /** Creates an account's ledger; `profile` sets what the account summary reports as type and username. */
  openAccount(accountId: number, profile?: AccountProfile): void
  /** The account's open and untriggered orders as the exchange sees them. */
  openOrders(accountId: number): Order[]
  /** How many orders (any state) the account has placed, optionally only those with `label`. */
  orderCount(accountId: number, label?: string): number
  /**
   * Receives a deposit from outside the simulator; it shows in `private/get_deposits`. Without
   * `from` it is the simulator's faucet and is credited at once; from an outside address `from`
   * it is credited at once only if the account declared `from` as a deposit source, and otherwise
   * waits for `private/set_clearance_originator`.
   */
  deposit(accountId: number, currency: string, amount: number, from?: string): void
  /** Links a custody account to an account (`private/list_custody_accounts` lists it). */
  linkCustodyAccount(accountId: number, link: CustodyLink): void
  /**
   * Locks (or unlocks) an account's currency, as Deribit's risk desk would: new orders settling
   * in it are refused (13021), `get_user_locks` reports it and `user.lock` announces it.
   */
  lockAccount(accountId: number, currency: string, locked: boolean): void
  /** Publishes an announcement (`public/get_announcements`, the `announcements` channel). */
  announce(title: string, body: string, important?: boolean): void
}

/** A registry for an exchange without a server: ids count up, removals are forgotten. */
function localDirectory(): AccountDirectory {
  let next = 900_001
  return { addSubaccount: () => next++, removeSubaccount: () => {} }
}

/** Builds an exchange publishing through `sink`; its generator starts at once unless `marketRateHz` is 0. */
export function createExchange(options: ExchangeOptions, sink: EventSink): Exchange {
  const now = options.now
  const random = new Random(options.seed)
  const feedRandom = new Random((options.seed ^ 0x9e3779b9) >>> 0)
  const market = new Market(60_000 + random.next() * 2_000, 3_000 + random.next() * 100, now)
  const history = new MarketHistory(market, new Random((options.seed ^ 0x51ed270b) >>> 0), now())
  const listing = new Listing(now(), (coin, t) => history.at(coin, t).index)
  const anyInstrument = (name: string): InstrumentSpec | undefined =>
    listing.byName.get(name) ?? listing.expired.get(name)
  const lookup = (name: string): InstrumentSpec | undefined => listing.byName.get(name)
  // What was listed before the start has open positions already (spot has none); what is listed later starts at 0.
  const oiRandom = new Random((options.seed ^ 0x2545f491) >>> 0)
  for (const spec of listing.active) {
    const oi = spec.kind === 'spot' ? 0 : round8(oiRandom.int(1_000, 20_000) * spec.min_trade_amount)
    market.seedStats(spec, market.mark(spec), oi)
  }
  const tape = new Tape(sink, anyInstrument, market)
  const ledger = new Ledger(options.startingBalance ?? DEFAULT_STARTING_BALANCE, now)
  const ids = new OrderIds()
  const views = new Map<string, GroupedView[]>()
  const viewsOf = (name: string): GroupedView[] => {
    let list = views.get(name)
    if (list === undefined) {
      const spec = lookup(name)
      list = spec === undefined ? [] : groupedViews(spec)
      views.set(name, list)
    }
    return list
  }
  const feed = new BookFeed(tape, feedRandom, now, viewsOf)
  const engine = new MatchingEngine(listing.active, market, ledger, ids, feed, tape, now, () =>
    feedRandom.int(1_000_000, 9_000_000),
  )
  let feeds: MarketFeeds | undefined
  let generator: MarketGenerator | undefined
  /** Brings clock-driven state up to now: history minutes, expiries and listings. */
  /** The daily 08:00 settlement: perpetual funding into balances, and the marks tickers report. */
  const dailySettlement = (at: number): void => {
    settleFunding(ledger, history, at)
    for (const spec of listing.active) market.setSettlementPrice(spec, markFrom(spec, history.at(coinOf(spec), at), at))
  }
  let nextDaily = nextDailySettlement(now())
  for (const spec of listing.active) {
    const last = nextDaily - DAY_MS
    market.setSettlementPrice(spec, markFrom(spec, history.at(coinOf(spec), last), last))
  }
  const advance = (): void => {
    const t = now()
    history.catchUp(t)
    for (; nextDaily <= t; nextDaily += DAY_MS) dailySettlement(nextDaily)
    const roll = listing.roll(t)
    if (roll.expired.length > 0 || roll.listed.length > 0) applyRoll(roll)
    for (const coin of COINS) {
      const listed = listing.followIndex(coin, market.coin(coin).index, t)
      if (listed.length > 0) applyRoll({ expired: [], listed })
    }
  }
  const applyRoll = (roll: Roll): void => {
    for (const spec of roll.expired) {
      const price = deliveryPrice(history, spec)
      engine.cancelInstrument(spec, 'settlement')
      settlePositions(ledger, spec, price)
      generator?.delist(spec)
      views.delete(spec.instrument_name)
      feeds?.instrumentState(spec, 'settled')
      feeds?.instrumentState(spec, 'closed')
    }
    if (roll.expired.length > 0) {
      const names = roll.expired.map((s) => s.instrument_name).join(', ')
      const coins = [...new Set(roll.expired.map(coinOf))].join(', ')
      feeds?.announce(`${coins} expiry`, `Delivered at the 08:00 UTC index: ${names}.`)
    }
    for (const spec of roll.listed) {
      market.seedStats(spec, market.mark(spec))
      generator?.list(spec)
      feeds?.instrumentState(spec, 'created')
      feeds?.instrumentState(spec, 'started')
    }
  }
  generator = new MarketGenerator(
    listing.active,
    market,
    engine,
    feed,
    ids,
    tape,
    random,
    now,
    options.marketRateHz ?? DEFAULT_MARKET_RATE_HZ,
    {
      before: () => {
        if (feeds !== undefined) feeds.stepping = true
        advance()
      },
      after: (spec) => feeds?.afterStep(spec),
    },
  )
  const wallet = new Wallet(ledger, now, (account, currency) => {
    const m = marginsOf(account, currency, market, engine.liveOrders(account.id))
    return Math.max(0, Math.min(m.balance, m.availableFunds))
  })
  const directory = options.directory ?? localDirectory()
  const linked = new LinkedOrders(engine)
  const mmp = new Mmp(engine, tape, now)
  feeds = new MarketFeeds(tape, market, history, listing, engine, tape, now)
  const liveFeeds = feeds
  engine.onChanged = (name) => liveFeeds.instrumentChanged(name)
  const core: ExchangeCore = {
    instruments: listing.active,
    byName: listing.byName,
    listing,
    history,
    tape,
    feeds,
    market,
    engine,
    linked,
    mmp,
    ledger,
    wallet,
    addressBook: new AddressBook(now),
    beneficiaries: new AddressBeneficiaries(now),
    custody: new CustodyAccounts(),
    directory,
    now,
  }
  const handlers: Record<string, MethodHandler> = {
    ...notSimulatedMethods(),
    ...referenceDataMethods(core),
    ...marketDataMethods(core),
    ...historyMethods(core),
    ...tradeTapeMethods(core),
    ...supportingMethods(core),
    ...orderMethods(core),
    ...orderQueryMethods(core),
    ...orderHistoryMethods(core),
    ...accountMethods(core),
    ...subaccountMethods(core),
    ...walletMethods(core),
    ...addressBookMethods(core),
    ...custodyMethods(core),
    ...portfolioMarginMethods(core),
    ...quoteMethods(core),
    ...accountSettingsMethods(core),
  }
  const methods: Record<string, MethodHandler> = {}
  for (const [name, handler] of Object.entries(handlers))
    methods[name] = (params, ctx) => {
      // A call never runs inside a generator step (one that threw may have left the flag set).
      liveFeeds.stepping = false
      advance()
      return handler(params, ctx)
    }
  const gen = generator
  const known = (name: string): InstrumentSpec => {
    const spec = listing.byName.get(name)
    if (spec === undefined) throw new RangeError(`unknown instrument ${name}`)
    return spec
  }

  return {
    methods,
    market: {
      pause: () => gen.pause(),
      resume: () => gen.resume(),
      setRate: (eventsPerSec) => gen.setRate(eventsPerSec),
      burstTrades: (instrument, count) => gen.burstTrades(known(instrument), count),
      burstBookChanges: (instrument, count) => gen.burstBookChanges(known(instrument), count),
      skipChangeId: (instrument) => feed.skip(engine.book(known(instrument))),
      tick: (n) => gen.tick(n),
      listStrikes: (currency) => {
        const coin = COINS.find((c) => c === currency)
        if (coin === undefined) throw new RangeError(`no options on ${currency}`)
        advance()
        const listed = listing.widenStrikes(coin, now())
        applyRoll({ expired: [], listed })
        return listed.map((s) => s.instrument_name)
      },
    },
    openAccount: (accountId, profile) => {
      ledger.open(accountId, profile)
    },
    instrument: (name): InstrumentFacts | undefined => {
      const spec = anyInstrument(name)
      if (spec === undefined) return undefined
      return {
        instrument_name: spec.instrument_name,
        kind: spec.kind,
        base_currency: spec.base_currency,
        settlement_currency: spec.settlement_currency,
      }
    },
    isPublicChannel: (channel) => isPublicChannelName(channel, lookup),
    channelRefusal,
    snapshotFor: (channel) => {
      advance()
      const parsed = parseBookChannel(channel, lookup)
      if (parsed === undefined) return core.feeds.snapshot(channel)
      const book = engine.book(parsed.instrument)
      if (parsed.kind === 'incremental') return book.snapshot(now())
      return feed.groupedSnapshot(book, {
        channelBase: `book.${parsed.instrument.instrument_name}.${parsed.groupName}.${parsed.depth}`,
        group: parsed.group,
        depth: parsed.depth,
      })
    },
    cancelOrdersOfConnection: (connectionId) => engine.cancelConnection(connectionId),
    openOrders: (accountId) => [...engine.liveOrders(accountId)].map(orderWire),
    orderCount: (accountId, label) =>
      engine.ordersOf(accountId).filter((o) => label === undefined || o.label === label).length,
    lockAccount: (accountId, currency, locked) => {
      const account = ledger.get(accountId)
      if (locked) account.restrictions.locked.add(currency)
      else account.restrictions.locked.delete(currency)
      sink.publishAccount(accountId, 'user.lock', { locked, currency })
    },
    announce: (title, body, important = false) => {
      feeds?.announce(title, body, important)
    },
    deposit: (accountId, currency, amount, from) => {
      // An outside wallet the account did not declare as a deposit source waits for its originator.
      const held =
        from !== undefined && core.addressBook.find(accountId, currency, 'deposit_source', from) === undefined
      wallet.deposit(ledger.get(accountId), currency, amount, from ?? 'sim-faucet', { held })
    },
    linkCustodyAccount: (accountId, link) => {
      ledger.get(accountId)
      core.custody.link(accountId, link)
    },
    close: () => gen.close(),
  }
}
