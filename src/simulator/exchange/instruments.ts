/**
 * The simulated exchange's reference data: currencies and instruments with Deribit's tick
 * sizes, contract sizes and minimum amounts, and their `public/get_instruments` /
 * `public/get_currencies` wire shapes.
 */
import type { InstrumentFacts } from '../contract.js'
import { clean } from './numbers.js'

/** Deribit's "perpetual" expiry: 3000-01-01. */
export const PERPETUAL_EXPIRY_MS = 32503708800000

/** A price band above which a coarser tick applies (options). */
export interface TickStep {
  above_price: number
  tick_size: number
}

/** Everything the exchange needs to know about one instrument. */
export interface InstrumentSpec extends InstrumentFacts {
  instrument_id: number
  /** `reversed` (inverse: amounts in USD, P&L in coin) or `linear` (amounts and P&L in the quote coin). */
  instrument_type: 'reversed' | 'linear'
  quote_currency: string
  counter_currency: string
  settlement_period: 'perpetual' | 'week' | 'month'
  tick_size: number
  tick_size_steps: readonly TickStep[]
  contract_size: number
  min_trade_amount: number
  maker_commission: number
  taker_commission: number
  max_leverage: number | undefined
  /** Index it follows: `btc_usd`, `eth_usd`, `btc_usdc`, `eth_usdc`. */
  price_index: string
  expiration_timestamp: number
  /** When the instrument was listed, ms. */
  creation_timestamp: number
  option_type?: 'call' | 'put'
  strike?: number
}

/** Currencies the simulator knows; their ledgers exist for every account. */
export const CURRENCIES = ['BTC', 'ETH', 'USDC'] as const

/** Currency names the channel catalogue accepts in `trades.{kind}.{currency}` and `user.portfolio.*`. */
export const CATALOGUE_CURRENCIES: ReadonlySet<string> = new Set(['BTC', 'ETH', 'USDC', 'USDT', 'EURR', 'any'])

/** Instrument kinds of the channel catalogue. */
export const KINDS: ReadonlySet<string> = new Set(['future', 'option', 'spot', 'future_combo', 'option_combo'])

/** The tick that applies at `price` (options tick coarser above 0.005). */
export function tickAt(spec: InstrumentSpec, price: number): number {
  let tick = spec.tick_size
  for (const step of spec.tick_size_steps) if (price > step.above_price) tick = step.tick_size
  return tick
}

/** The `public/get_instruments` object of an instrument. */
export function instrumentWire(spec: InstrumentSpec, active = true): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    tick_size: spec.tick_size,
    tick_size_steps: spec.tick_size_steps.map((s) => ({ ...s })),
    taker_commission: spec.taker_commission,
    settlement_period: spec.settlement_period,
    rfq: false,
    quote_currency: spec.quote_currency,
    price_index: spec.price_index,
    min_trade_amount: spec.min_trade_amount,
    max_liquidation_commission: 0.0075,
    maker_commission: spec.maker_commission,
    kind: spec.kind,
    is_active: active,
    instrument_name: spec.instrument_name,
    instrument_id: spec.instrument_id,
    instrument_type: spec.instrument_type,
    expiration_timestamp: spec.expiration_timestamp,
    creation_timestamp: spec.creation_timestamp,
    counter_currency: spec.counter_currency,
    contract_size: spec.contract_size,
    block_trade_tick_size: spec.kind === 'option' ? 0.0001 : 0.01,
    block_trade_min_trade_amount: spec.kind === 'option' ? 25 : 200000,
    block_trade_commission: clean(spec.taker_commission / 2),
    base_currency: spec.base_currency,
  }
  // The spec adds no settlement currency to spot pairs: nothing settles, the pair just trades.
  if (spec.kind !== 'spot') wire.settlement_currency = spec.settlement_currency
  if (spec.max_leverage !== undefined) wire.max_leverage = spec.max_leverage
  wire.state = active ? 'open' : 'delivered'
  if (spec.kind === 'future') wire.future_type = spec.instrument_type
  if (spec.option_type !== undefined) wire.option_type = spec.option_type
  if (spec.strike !== undefined) wire.strike = spec.strike
  return wire
}

const CURRENCY_WIRE: Record<string, Record<string, unknown>> = {
  BTC: {
    coin_type: 'BITCOIN',
    currency: 'BTC',
    currency_long: 'Bitcoin',
    fee_precision: 4,
    min_confirmations: 1,
    min_withdrawal_fee: 0.0001,
    withdrawal_fee: 0.0001,
    network_currency: 'BTC',
    network_fee: 0.0001,
    decimals: 8,
  },
  ETH: {
    coin_type: 'ETHER',
    currency: 'ETH',
    currency_long: 'Ethereum',
    fee_precision: 4,
    min_confirmations: 1,
    min_withdrawal_fee: 0.0001,
    withdrawal_fee: 0.0006,
    network_currency: 'ETH',
    network_fee: 0.0006,
    decimals: 6,
  },
  // An ERC-20 token: it moves on Ethereum, so its coin type (the spec knows only BITCOIN and
  // ETHER) and network are Ethereum's.
  USDC: {
    coin_type: 'ETHER',
    currency: 'USDC',
    currency_long: 'USD Coin',
    fee_precision: 4,
    min_confirmations: 1,
    min_withdrawal_fee: 1,
    withdrawal_fee: 1,
    network_currency: 'ETH',
    network_fee: 1,
    decimals: 6,
  },
}

/** The `public/get_currencies` object of a currency. */
export function currencyWire(currency: string): Record<string, unknown> {
  return {
    ...CURRENCY_WIRE[currency],
    in_cross_collateral_pool: true,
    withdrawal_priorities: [
      { name: 'very_low', value: 0.15 },
      { name: 'low', value: 1.5 },
      { name: 'mid', value: 1.8 },
      { name: 'high', value: 2 },
      { name: 'very_high', value: 3 },
    ],
  }
}
