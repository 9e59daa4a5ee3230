/**
 * Reference-data methods: `public/get_currencies`, `public/get_instruments`,
 * `public/get_instrument`, `public/get_index_price`.
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams } from '../../contract.js'
import { anyInstrumentParam, currencyParam, type ExchangeCore, inCurrency } from '../exchangeCore.js'
import { CURRENCIES, currencyWire, instrumentWire, KINDS } from '../instruments.js'
import { optionalBoolean, optionalEnum, requiredString } from '../params.js'

/** Handlers for reference data. */
export function referenceDataMethods(core: ExchangeCore): Record<string, MethodHandler> {
  return {
    'public/get_currencies': () => CURRENCIES.map(currencyWire),
    'public/get_instruments': (params) => {
      // The spec marks `currency` required, but the live exchange answers every instrument
      // without it, and clients (ccxt's loadMarkets) rely on that.
      const currency = params.currency === undefined ? 'any' : currencyParam(params, true)
      const kind = optionalEnum(params, 'kind', [...KINDS])
      const expired = optionalBoolean(params, 'expired') === true
      const specs = expired ? [...core.listing.expired.values()] : core.instruments
      return specs
        .filter((s) => inCurrency(s, currency) && (kind === undefined || s.kind === kind))
        .map((s) => instrumentWire(s, !expired))
    },
    'public/get_instrument': (params) => {
      const spec = anyInstrumentParam(core, params)
      return instrumentWire(spec, core.byName.has(spec.instrument_name))
    },
    'public/get_index_price': (params) => {
      const name = requiredString(params, 'index_name')
      const price = core.market.index(name)
      if (price === undefined) throw invalidParams('index_name', 'unknown index')
      return { index_price: price, estimated_delivery_price: price }
    },
  }
}
