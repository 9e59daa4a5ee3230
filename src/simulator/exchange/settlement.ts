/**
 * Settlement and delivery. At each expiry the instrument's orders are cancelled, every position
 * in it is closed at the delivery price (the index at 08:00 UTC from the market history),
 * futures realizing their P&L and options paying their intrinsic value; every day at 08:00 UTC
 * perpetual positions pay or receive the funding accrued over the session; and the exchange's
 * public settlement records are read from the same history: a daily `settlement` of every
 * future and perpetual at 08:00 UTC, and a `delivery` of each dated instrument at its expiry.
 */
import { DAY_MS, settlementOfDay } from './calendar.js'
import type { MarketHistory } from './history.js'
import type { InstrumentSpec } from './instruments.js'
import type { Account, Ledger } from './ledger.js'
import { unrealizedPnl } from './ledger.js'
import type { Listing } from './listing.js'
import { coinOf, type Market, markFrom } from './market.js'
import { round8 } from './numbers.js'

/** One public settlement record (`get_last_settlements_by_*`). */
export interface SettlementRecord {
  type: 'settlement' | 'delivery'
  timestamp: number
  instrument_name: string
  index_price: number
  mark_price: number
  /** Funding paid over the session per unit of position (perpetuals; 0 otherwise). */
  funding: number
  /** Open interest settled. */
  position: number
  session_profit_loss: number
  profit_loss: number
  funded: number
  socialized: number
  session_bankruptcy: number
}

/** The delivery price of a dated instrument: its coin's index at the expiry. */
export function deliveryPrice(history: MarketHistory, spec: InstrumentSpec): number {
  return history.at(coinOf(spec), spec.expiration_timestamp).index
}

/**
 * Closes every position in an expired instrument at `price`: futures realize their P&L, options
 * pay out their intrinsic value in coin (the premium was paid when they traded). Each account
 * gets a `delivery` entry in its settlement history and transaction log.
 */
export function settlePositions(ledger: Ledger, spec: InstrumentSpec, price: number): void {
  for (const account of ledger.all()) {
    const position = account.positions.get(spec.instrument_name)
    if (position === undefined || position.size === 0) continue
    let pnl: number
    if (spec.kind === 'option') {
      const strike = spec.strike ?? price
      const intrinsic = spec.option_type === 'put' ? Math.max(0, strike - price) : Math.max(0, price - strike)
      pnl = round8((position.size * intrinsic) / price)
    } else {
      pnl = unrealizedPnl(position, price)
    }
    const size = position.size
    position.realizedPnl = round8(position.realizedPnl + pnl)
    position.size = 0
    position.averagePrice = 0
    book(ledger, account, spec, {
      type: 'delivery',
      timestamp: spec.expiration_timestamp,
      size,
      index: price,
      mark: price,
      funding: 0,
      pnl,
    })
  }
}

/**
 * The daily 08:00 settlement of perpetual positions: each pays (long, when funding is positive)
 * or receives the funding accrued since the previous settlement, in its settlement currency,
 * booked as a `settlement` entry.
 */
export function settleFunding(ledger: Ledger, history: MarketHistory, at: number): void {
  for (const account of ledger.all()) {
    for (const position of account.positions.values()) {
      const spec = position.instrument
      if (position.size === 0 || spec.settlement_period !== 'perpetual' || spec.kind !== 'future') continue
      const coin = coinOf(spec)
      const now = history.at(coin, at)
      const accrued = now.interest - history.at(coin, at - DAY_MS).interest
      // Inverse sizes are USD (coin exposure size / index); linear sizes are coin, paid in USDC.
      const exposure = spec.instrument_type === 'reversed' ? position.size / now.index : position.size * now.index
      const funding = round8(-exposure * accrued)
      if (funding === 0) continue
      book(ledger, account, spec, {
        type: 'settlement',
        timestamp: at,
        size: position.size,
        index: now.index,
        mark: markFrom(spec, now, at),
        funding,
        pnl: funding,
      })
    }
  }
}

interface Booking {
  type: 'settlement' | 'delivery'
  timestamp: number
  size: number
  index: number
  mark: number
  funding: number
  pnl: number
}

/** Moves the cash and writes the settlement history and transaction log entries of one position. */
function book(ledger: Ledger, account: Account, spec: InstrumentSpec, b: Booking): void {
  const currency = spec.settlement_currency
  const cash = account.balances.get(currency)
  if (cash !== undefined) {
    cash.balance = round8(cash.balance + b.pnl)
    cash.sessionRpl = round8(cash.sessionRpl + b.pnl)
  }
  ledger.recordSettlement(account, {
    type: b.type,
    timestamp: b.timestamp,
    instrument_name: spec.instrument_name,
    position: b.size,
    index_price: b.index,
    mark_price: b.mark,
    funding: b.funding,
    funded: 0,
    socialized: 0,
    session_bankruptcy: 0,
    session_profit_loss: b.pnl,
    profit_loss: b.pnl,
  })
  account.log.record(currency, b.type, {
    change: b.pnl,
    cashflow: b.pnl,
    balance: cash?.balance ?? 0,
    commission: 0,
    info: { instrument_name: spec.instrument_name, position: b.size, price: b.mark },
  })
}

/** The exchange's public settlement records of the instruments `names` selects, newest first. */
export function settlementRecords(
  listing: Listing,
  history: MarketHistory,
  market: Market,
  now: number,
  select: (spec: InstrumentSpec) => boolean,
): SettlementRecord[] {
  const out: SettlementRecord[] = []
  const specs = [...listing.active, ...listing.expired.values()].filter(
    (s) => select(s) && (s.kind === 'future' || s.expiration_timestamp <= now),
  )
  const latest = Math.min(now, history.latest)
  for (const spec of specs) {
    const coin = coinOf(spec)
    const oi = market.statsOf(spec.instrument_name).openInterest
    if (spec.expiration_timestamp <= now) {
      const at = history.at(coin, spec.expiration_timestamp)
      out.push(record('delivery', spec, at.timestamp, at.index, markFrom(spec, at, at.timestamp), 0, oi, 0))
    }
    if (spec.kind !== 'future') continue
    const last = Math.min(latest, spec.expiration_timestamp - 1)
    for (let t = settlementOfDay(last) > last ? settlementOfDay(last) - DAY_MS : settlementOfDay(last); ; t -= DAY_MS) {
      if (t < Math.max(history.oldest + DAY_MS, spec.creation_timestamp)) break
      const at = history.at(coin, t)
      const before = history.at(coin, t - DAY_MS)
      const mark = markFrom(spec, at, t)
      const prevMark = markFrom(spec, before, t - DAY_MS)
      const perpetual = spec.settlement_period === 'perpetual'
      const funding = perpetual ? round8(at.interest - before.interest) : 0
      const inverse = spec.instrument_type === 'reversed'
      const sessionPl = inverse ? oi * (1 / prevMark - 1 / mark) : oi * (mark - prevMark)
      out.push(record('settlement', spec, t, at.index, mark, funding, oi, round8(sessionPl)))
    }
  }
  return out.sort((a, b) => b.timestamp - a.timestamp || a.instrument_name.localeCompare(b.instrument_name))
}

function record(
  type: SettlementRecord['type'],
  spec: InstrumentSpec,
  timestamp: number,
  index: number,
  mark: number,
  funding: number,
  position: number,
  sessionPl: number,
): SettlementRecord {
  return {
    type,
    timestamp,
    instrument_name: spec.instrument_name,
    index_price: index,
    mark_price: mark,
    funding,
    position,
    session_profit_loss: sessionPl,
    profit_loss: sessionPl,
    funded: 0,
    socialized: 0,
    session_bankruptcy: 0,
  }
}
