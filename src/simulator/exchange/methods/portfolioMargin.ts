/**
 * `private/pme/simulate`: the scenario-grid stress of {@link stressPortfolio} over the caller's
 * positions (unless `add_positions` is false) plus any `simulated_positions`, with the margins it
 * implies against the account's equity.
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams, SimRpcError } from '../../contract.js'
import { marginsOf } from '../accountViews.js'
import { callerAccount, type ExchangeCore } from '../exchangeCore.js'
import { CURRENCIES } from '../instruments.js'
import type { Account } from '../ledger.js'
import { round8 } from '../numbers.js'
import { optionalBoolean, type Params, requiredString } from '../params.js'
import {
  PRICE_SHOCKS,
  type RiskPosition,
  sizeFromBase,
  sizeInBase,
  stressPortfolio,
  VOLATILITY_SHOCKS,
} from '../portfolioMargin.js'

/** `simulated_positions`: an object, or its JSON text (HTTP GET), of instrument name → size in base currency. */
function simulatedPositions(params: Params): Record<string, unknown> {
  let value = params.simulated_positions
  if (value === undefined || value === null || value === '') return {}
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      throw invalidParams('simulated_positions', 'must be a JSON object of instrument name to size')
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidParams('simulated_positions', 'must be an object of instrument name to size')
  return value as Record<string, unknown>
}

function portfolio(core: ExchangeCore, account: Account, params: Params, currency: string): RiskPosition[] {
  const inScope = (settlement: string) => currency === 'CROSS' || settlement === currency
  const sizes = new Map<string, RiskPosition>()
  if (optionalBoolean(params, 'add_positions') !== false) {
    for (const p of account.positions.values())
      if (p.size !== 0 && inScope(p.instrument.settlement_currency))
        sizes.set(p.instrument.instrument_name, { spec: p.instrument, size: p.size })
  }
  for (const [name, base] of Object.entries(simulatedPositions(params))) {
    const spec = core.byName.get(name)
    if (spec === undefined)
      throw new SimRpcError(10020, 'invalid_or_unsupported_instrument', {
        param: 'simulated_positions',
        reason: `instrument ${name} not found`,
      })
    if (typeof base !== 'number' || !Number.isFinite(base))
      throw invalidParams('simulated_positions', `size of ${name} must be a number`)
    if (!inScope(spec.settlement_currency))
      throw invalidParams('simulated_positions', `${name} does not settle in ${currency}`)
    const held = sizes.get(name)?.size ?? 0
    sizes.set(name, { spec, size: held + sizeFromBase(spec, base, core.market) })
  }
  return [...sizes.values()]
}

/** The account's equity in `currency`, or in USD over every currency for `CROSS`. */
function equity(core: ExchangeCore, account: Account, currency: string): number {
  const of = (c: string) => marginsOf(account, c, core.market, core.engine.liveOrders(account.id)).equity
  if (currency !== 'CROSS') return of(currency)
  const usd = (c: string) => (c === 'USDC' ? 1 : (core.market.index(`${c.toLowerCase()}_usd`) ?? 0))
  return round8(CURRENCIES.reduce((sum, c) => sum + of(c) * usd(c), 0))
}

/** Handler of `private/pme/simulate`. */
export function portfolioMarginMethods(core: ExchangeCore): Record<string, MethodHandler> {
  return {
    'private/pme/simulate': (params, ctx) => {
      const account = callerAccount(core, ctx)
      const currency = requiredString(params, 'currency')
      if (currency !== 'CROSS' && !(CURRENCIES as readonly string[]).includes(currency))
        throw invalidParams('currency', 'wrong currency')
      const positions = portfolio(core, account, params, currency)
      const risk = stressPortfolio(positions, core.market, core.now(), currency === 'CROSS')
      const marginBalance = equity(core, account, currency)
      return {
        currency,
        model: 'scenario_grid',
        index_prices: { btc_usd: core.market.index('btc_usd'), eth_usd: core.market.index('eth_usd') },
        price_shocks: PRICE_SHOCKS,
        volatility_shocks: VOLATILITY_SHOCKS,
        positions: Object.fromEntries(
          positions.map((p) => [p.spec.instrument_name, round8(sizeInBase(p.spec, p.size, core.market))]),
        ),
        risk_matrix: risk.riskMatrix,
        aggregated_risk_vector: risk.aggregated,
        worst_case: {
          price_shock: risk.worst.priceShock,
          volatility_shock: risk.worst.volatilityShock,
          pnl: risk.worst.pnl,
        },
        maintenance_margin: risk.maintenanceMargin,
        initial_margin: risk.initialMargin,
        margin_balance: marginBalance,
        available_balance: round8(marginBalance - risk.initialMargin),
      }
    },
  }
}
