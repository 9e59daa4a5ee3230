import { DeribitError } from '../errors.js'

/**
 * The currency Deribit files an instrument's orders under (the `currency` param of
 * `private/get_order_state_by_label` and `get_open_orders_by_currency`): the settlement
 * currency for linear instruments (`BTC_USDC-PERPETUAL` → `USDC`), else the base coin
 * (`BTC-PERPETUAL`, `ETH-27DEC26-3000-C` → `BTC`, `ETH`).
 */
export function currencyOfInstrument(instrumentName: string): string {
  const head = instrumentName.split('-', 1)[0] ?? ''
  const underscore = head.indexOf('_')
  const currency = underscore === -1 ? head : head.slice(underscore + 1)
  if (!/^[A-Za-z0-9]+$/.test(currency)) {
    throw new DeribitError(
      'INVALID_ARGUMENT',
      `Cannot tell the currency of instrument ${JSON.stringify(instrumentName)}`,
    )
  }
  return currency.toUpperCase()
}
