/**
 * Reference and supporting methods: `public/status`, `public/get_announcements`,
 * `public/get_index_price_names`, `public/get_supported_index_names`, `public/get_expirations`,
 * `public/get_contract_size`, `public/get_apr_history`; and the public methods of parts the
 * simulator does not simulate (combo books, block RFQ), which answer {@link notSimulated}.
 */
import { invalidParams, type MethodHandler, notSimulated } from '../../contract.js'
import { DAY_MS, expiryCode } from '../calendar.js'
import { anyInstrumentParam, type ExchangeCore } from '../exchangeCore.js'
import { INDEX_NAMES } from '../market.js'
import { optionalBoolean, optionalEnum, optionalInteger, optionalString, type Params, requiredEnum } from '../params.js'

const EXPIRATION_CURRENCIES = ['BTC', 'ETH', 'USDC', 'USDT', 'EURR', 'any', 'grouped'] as const
/** Yield-bearing assets whose APR Deribit publishes, with the simulated mean APR of each (percent). */
const APR_MEAN: Record<string, number> = { usde: 9, steth: 2.8, usdc: 4.5, build: 4.2 }
const COMBO_REASON = 'combo books are not simulated: the simulator lists no combo instruments'
const BLOCK_RFQ_REASON = 'block RFQs are not simulated'

/** Handlers of the supporting methods. */
export function supportingMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const indexNames = (params: Params, names: readonly string[]): unknown =>
    optionalBoolean(params, 'extended') === true
      ? names.map((name) => ({ name, future_combo_creation_enabled: false, option_combo_creation_enabled: false }))
      : [...names]
  return {
    'public/status': () => ({ locked: 'false', locked_indices: [] }),
    'public/get_announcements': (params) => {
      const before = optionalInteger(params, 'start_timestamp', 0, Number.MAX_SAFE_INTEGER) ?? core.now()
      const count = optionalInteger(params, 'count', 1, 50) ?? 5
      return core.feeds.announcements
        .filter((a) => a.publication_timestamp <= before)
        .slice(-count)
        .reverse()
    },
    'public/get_index_price_names': (params) => indexNames(params, INDEX_NAMES),
    'public/get_supported_index_names': (params) => {
      // Every simulated index prices both spot and derivatives, so each type lists them all.
      optionalEnum(params, 'type', ['all', 'spot', 'derivative'] as const)
      return indexNames(params, INDEX_NAMES)
    },
    'public/get_expirations': (params) => {
      const currency = requiredEnum(params, 'currency', EXPIRATION_CURRENCIES)
      const kind = requiredEnum(params, 'kind', ['future', 'option', 'any'] as const)
      const pair = optionalString(params, 'currency_pair')
      if (pair !== undefined && !(INDEX_NAMES as readonly string[]).includes(pair))
        throw invalidParams('currency_pair', 'unknown index')
      const of = (coin: string): Record<string, string[]> => {
        const out: Record<string, string[]> = {}
        for (const k of kind === 'any' ? (['future', 'option'] as const) : [kind]) {
          const specs = core.instruments.filter(
            (s) => s.kind === k && s.settlement_currency === coin && (pair === undefined || s.price_index === pair),
          )
          const codes = new Set<string>()
          for (const s of [...specs].sort((a, b) => a.expiration_timestamp - b.expiration_timestamp))
            codes.add(s.settlement_period === 'perpetual' ? 'PERPETUAL' : expiryCode(s.expiration_timestamp))
          out[k] = [...codes]
        }
        return out
      }
      if (currency === 'any' || currency === 'grouped')
        return Object.fromEntries(['BTC', 'ETH', 'USDC'].map((c) => [c.toLowerCase(), of(c)]))
      return of(currency)
    },
    'public/get_contract_size': (params) => ({ contract_size: anyInstrumentParam(core, params).contract_size }),
    'public/get_apr_history': (params) => {
      const currency = requiredEnum(params, 'currency', Object.keys(APR_MEAN))
      const limit = optionalInteger(params, 'limit', 1, 365) ?? 365
      const today = Math.floor(core.now() / DAY_MS)
      const before = optionalInteger(params, 'before', 0, Number.MAX_SAFE_INTEGER) ?? today + 1
      const history = core.history
      const firstDay = Math.ceil(history.oldest / DAY_MS)
      const data: { day: number; apr: number }[] = []
      for (let day = Math.min(before - 1, today); day >= firstDay && data.length < limit; day--) {
        // The APR drifts with the market's funding: days of high funding pay more.
        const s = history.at('BTC', day * DAY_MS)
        const mean = APR_MEAN[currency] as number
        data.push({ day, apr: Math.round((mean + s.premium * 2000) * 1000) / 1000 })
      }
      const last = data[data.length - 1]
      return last !== undefined && last.day > firstDay ? { data, continuation: last.day } : { data }
    },
    'public/get_combos': () => {
      throw notSimulated('public/get_combos', COMBO_REASON)
    },
    'public/get_combo_ids': () => {
      throw notSimulated('public/get_combo_ids', COMBO_REASON)
    },
    'public/get_combo_details': () => {
      throw notSimulated('public/get_combo_details', COMBO_REASON)
    },
    'public/get_block_rfq_trades': () => {
      throw notSimulated('public/get_block_rfq_trades', BLOCK_RFQ_REASON)
    },
  }
}
