/**
 * Margin arithmetic and the wire shapes built from a ledger: positions, `user.portfolio`
 * objects, `private/get_account_summary` and the funds check behind `not_enough_funds`.
 * Simplified standard margin: initial margin 1/max_leverage of notional, maintenance half of it.
 */
import type { InstrumentSpec } from './instruments.js'
import type { Account, Position } from './ledger.js'
import { unrealizedPnl } from './ledger.js'
import type { Market } from './market.js'
import { round8 } from './numbers.js'
import { type OrderRecord, remainingOf } from './orderRecord.js'

/** Short options need this share of the underlying as margin on top of their mark. */
const OPTION_SHORT_MARGIN = 0.15

/** Rate limits reported in `limits` (Deribit's documented example). */
export const ACCOUNT_LIMITS = {
  non_matching_engine: { burst: 1500, rate: 1000 },
  limits_per_currency: false,
  matching_engine: {
    trading: { total: { burst: 20, rate: 5 } },
    spot: { burst: 250, rate: 200 },
    maximum_quotes: { burst: 500, rate: 500 },
    maximum_mass_quotes: { burst: 10, rate: 10 },
    guaranteed_mass_quotes: { burst: 2, rate: 2 },
    cancel_all: { burst: 250, rate: 200 },
  },
} as const

function imRate(spec: InstrumentSpec): number {
  return 1 / (spec.max_leverage ?? 50)
}

/** Margin an amount on one side would need at `price`, in the settlement currency. */
export function marginFor(spec: InstrumentSpec, direction: 'buy' | 'sell', amount: number, price: number): number {
  if (amount <= 0) return 0
  if (spec.kind === 'option') return direction === 'buy' ? amount * price : amount * (OPTION_SHORT_MARGIN + price)
  if (spec.instrument_type === 'linear') return amount * price * imRate(spec)
  return (amount / price) * imRate(spec)
}

/** Initial margin of a position at the mark. */
function positionInitialMargin(position: Position, mark: number): number {
  const { size, instrument } = position
  if (size === 0) return 0
  if (instrument.kind === 'option') return size < 0 ? -size * (OPTION_SHORT_MARGIN + mark) : 0
  return marginFor(instrument, size > 0 ? 'buy' : 'sell', Math.abs(size), mark)
}

/** Margin an open order reserves; reduce-only orders reserve none. */
export function orderMargin(order: OrderRecord): number {
  if (order.reduceOnly) return 0
  return marginFor(order.instrument, order.direction, remainingOf(order), order.price)
}

/**
 * Where the position alone would be liquidated: the price at which its loss from the average
 * entry eats the initial margin down to the maintenance margin (half of it). An estimate, as the
 * field's name says: the account's other equity is left out. 0 when no price gets there.
 */
function liquidationEstimate(position: Position, im: number): number {
  const { size, averagePrice, instrument } = position
  if (size === 0 || averagePrice === 0) return 0
  const cushion = im / 2
  const price =
    instrument.instrument_type === 'reversed' ? 1 / (1 / averagePrice + cushion / size) : averagePrice - cushion / size
  return Number.isFinite(price) && price > 0 ? Math.round(price * 100) / 100 : 0
}

/** The position object of `private/get_position(s)` and `user.changes`. */
export function positionWire(position: Position, market: Market): Record<string, unknown> {
  const spec = position.instrument
  const mark = market.mark(spec)
  const index = market.indexOf(spec)
  const upl = unrealizedPnl(position, mark)
  const im = positionInitialMargin(position, mark)
  const sizeCurrency =
    spec.kind === 'future' && spec.instrument_type === 'reversed' ? position.size / mark : position.size
  const wire: Record<string, unknown> = {
    instrument_name: spec.instrument_name,
    kind: spec.kind,
    direction: position.size > 0 ? 'buy' : position.size < 0 ? 'sell' : 'zero',
    size: position.size,
    size_currency: round8(sizeCurrency),
    average_price: position.averagePrice,
    mark_price: mark,
    index_price: index,
    settlement_price: mark,
    floating_profit_loss: upl,
    realized_profit_loss: position.realizedPnl,
    total_profit_loss: round8(upl + position.realizedPnl),
    initial_margin: round8(im),
    maintenance_margin: round8(spec.kind === 'option' ? im : im / 2),
    open_orders_margin: 0,
    delta: round8(spec.kind === 'option' ? position.size * 0.5 : sizeCurrency),
  }
  if (spec.kind === 'future') {
    wire.leverage = spec.max_leverage ?? 50
    wire.estimated_liquidation_price = liquidationEstimate(position, im)
  }
  if (spec.settlement_period === 'perpetual') {
    wire.interest_value = 0
    wire.realized_funding = 0
  }
  if (spec.kind === 'option') wire.average_price_usd = round8(position.averagePrice * index)
  return wire
}

/** Margin figures of one currency of an account. */
export interface Margins {
  balance: number
  equity: number
  initialMargin: number
  maintenanceMargin: number
  availableFunds: number
  futuresUpl: number
  optionsUpl: number
  optionsValue: number
  delta: number
}

/** Balance, equity and margins of one currency, with `openOrders` of that account. */
export function marginsOf(
  account: Account,
  currency: string,
  market: Market,
  openOrders: Iterable<OrderRecord>,
): Margins {
  const balance = account.balances.get(currency)?.balance ?? 0
  let futuresUpl = 0
  let optionsUpl = 0
  let optionsValue = 0
  let initialMargin = 0
  let maintenanceMargin = 0
  let delta = 0
  for (const position of account.positions.values()) {
    const spec = position.instrument
    if (spec.settlement_currency !== currency || position.size === 0) continue
    const mark = market.mark(spec)
    const upl = unrealizedPnl(position, mark)
    const im = positionInitialMargin(position, mark)
    initialMargin += im
    if (spec.kind === 'option') {
      optionsUpl += upl
      optionsValue += position.size * mark
      maintenanceMargin += im
      delta += position.size * 0.5
    } else {
      futuresUpl += upl
      maintenanceMargin += im / 2
      delta += spec.instrument_type === 'reversed' ? position.size / mark : position.size
    }
  }
  for (const order of openOrders) {
    if (order.instrument.settlement_currency === currency) initialMargin += orderMargin(order)
  }
  const equity = balance + futuresUpl + optionsValue
  return {
    balance,
    equity: round8(equity),
    initialMargin: round8(initialMargin),
    maintenanceMargin: round8(maintenanceMargin),
    availableFunds: round8(equity - initialMargin),
    futuresUpl: round8(futuresUpl),
    optionsUpl: round8(optionsUpl),
    optionsValue: round8(optionsValue),
    delta: round8(delta),
  }
}

/** The `user.portfolio.{currency}` object. */
export function portfolioWire(
  account: Account,
  currency: string,
  market: Market,
  openOrders: Iterable<OrderRecord>,
): Record<string, unknown> {
  const m = marginsOf(account, currency, market, openOrders)
  const cash = account.balances.get(currency)
  const sessionRpl = cash?.sessionRpl ?? 0
  const usdRate = currency === 'USDC' ? 1 : (market.index(`${currency.toLowerCase()}_usd`) ?? 0)
  return {
    currency,
    balance: m.balance,
    equity: m.equity,
    margin_balance: m.equity,
    available_funds: m.availableFunds,
    available_withdrawal_funds: round8(Math.max(0, Math.min(m.balance, m.availableFunds))),
    initial_margin: m.initialMargin,
    maintenance_margin: m.maintenanceMargin,
    projected_initial_margin: m.initialMargin,
    projected_maintenance_margin: m.maintenanceMargin,
    session_upl: round8(m.futuresUpl + m.optionsUpl),
    session_rpl: sessionRpl,
    total_pl: round8(m.futuresUpl + m.optionsUpl + sessionRpl),
    futures_pl: round8(m.futuresUpl + sessionRpl),
    futures_session_upl: m.futuresUpl,
    futures_session_rpl: sessionRpl,
    options_pl: m.optionsUpl,
    options_session_upl: m.optionsUpl,
    options_session_rpl: 0,
    options_value: m.optionsValue,
    options_delta: 0,
    options_gamma: 0,
    options_vega: 0,
    options_theta: 0,
    // By index, like delta_total_map; the simulator's options carry no greeks, so no entries.
    options_gamma_map: {},
    options_vega_map: {},
    options_theta_map: {},
    delta_total: m.delta,
    projected_delta_total: m.delta,
    delta_total_map: {},
    estimated_liquidation_ratio: 0,
    estimated_liquidation_ratio_map: {},
    fee_balance: 0,
    spot_reserve: 0,
    locked_balance: 0,
    additional_reserve: 0,
    cross_collateral_enabled: false,
    margin_model: 'segregated_sm',
    portfolio_margining_enabled: false,
    total_equity_usd: Math.round(m.equity * usdRate * 100) / 100,
    total_margin_balance_usd: Math.round(m.equity * usdRate * 100) / 100,
    total_initial_margin_usd: Math.round(m.initialMargin * usdRate * 100) / 100,
    total_maintenance_margin_usd: Math.round(m.maintenanceMargin * usdRate * 100) / 100,
    total_delta_total_usd: Math.round(m.delta * usdRate * 100) / 100,
  }
}

/** Account-level fields shared by the summary and the summaries. */
export function accountIdentity(account: Account, extended: boolean): Record<string, unknown> {
  const identity: Record<string, unknown> = {
    id: account.id,
    username: account.settings.username,
    system_name: account.settings.username,
    email: account.settings.email,
    type: account.type,
    security_keys_enabled: false,
  }
  // `extended: true` adds the account's settings; without it only what the spec requires.
  if (!extended) return identity
  return {
    ...identity,
    creation_timestamp: account.createdMs,
    referrer_id: null,
    login_enabled: account.settings.loginEnabled,
    receive_notifications: account.settings.receiveNotifications,
    mmp_enabled: false,
    interuser_transfers_enabled: false,
    self_trading_reject_mode: account.restrictions.selfTrading.mode,
    self_trading_extended_to_subaccounts: account.restrictions.selfTrading.extendedToSubaccounts,
  }
}

/** The `private/get_account_summary` result: the portfolio, `fees`, `limits` and the account's `id`. */
export function accountSummaryWire(
  account: Account,
  currency: string,
  market: Market,
  openOrders: Iterable<OrderRecord>,
  extended = false,
): Record<string, unknown> {
  return {
    ...portfolioWire(account, currency, market, openOrders),
    ...accountIdentity(account, extended),
    limits: structuredClone(ACCOUNT_LIMITS),
  }
}
