/**
 * Reference-data methods: `public/get_currencies`, `public/get_instruments`,
 * `public/get_instrument`, `public/get_index_price`.
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams } from '../../contract.js'
import { currencyParam, type ExchangeCore, inCurrency, instrumentParam } from '../exchangeCore.js'
import { CURRENCIES, currencyWire, instrumentWire, KINDS } from '../instruments.js'
import { optionalBoolean, optionalEnum, requiredString } from '../params.js'

/** Handlers for reference data. */
export function referenceDataMethods(core: ExchangeCore): Record<string, MethodHandler> {
  return {
    'public/get_currencies': () => CURRENCIES.map(currencyWire),
    'public/get_instruments': (params) => {
      const currency = currencyParam(params, true)
      const kind = optionalEnum(params, 'kind', [...KINDS])
      // Nothing the simulator lists has expired.
      if (optionalBoolean(params, 'expired') === true) return []
      return core.instruments
        .filter((s) => inCurrency(s, currency) && (kind === undefined || s.kind === kind))
        .map(instrumentWire)
    },
    'public/get_instrument': (params) => instrumentWire(instrumentParam(core, params)),
    'public/get_index_price': (params) => {
      const name = requiredString(params, 'index_name')
      const price = core.market.index(name)
      if (price === undefined) throw invalidParams('index_name', 'unknown index')
      return { index_price: price, estimated_delivery_price: price }
    },
  }
}
