/**
 * The simulator's portfolio-margin simulation (`private/pme/simulate`): a scenario grid, not
 * Deribit's own risk engine. Each position is revalued with the simulator's own pricing (index
 * plus premium for perpetuals, term basis for dated futures, Black-76 on the smile for options)
 * after every combination of an underlying move in {@link PRICE_SHOCKS} and a relative volatility
 * move in {@link VOLATILITY_SHOCKS}, all coins moving together. The worst loss over the grid is
 * the maintenance margin and {@link INITIAL_MARGIN_FACTOR} times it the initial margin. Results
 * are in the settlement currency, or in USD for `CROSS` (coin P&L valued at the shocked index).
 */
import type { InstrumentSpec } from './instruments.js'
import { unrealizedPnl } from './ledger.js'
import { type CoinState, coinOf, type Market, markFrom } from './market.js'
import { round8 } from './numbers.js'

/** Relative moves of every index the grid applies. */
export const PRICE_SHOCKS: readonly number[] = [-0.16, -0.12, -0.08, -0.04, 0, 0.04, 0.08, 0.12, 0.16]
/** Relative moves of the at-the-money volatility the grid applies. */
export const VOLATILITY_SHOCKS: readonly number[] = [-0.25, 0, 0.25]
/** Initial margin as a multiple of the maintenance margin. */
export const INITIAL_MARGIN_FACTOR = 1.2

/** A position to stress: its instrument and signed size in the instrument's amount unit. */
export interface RiskPosition {
  spec: InstrumentSpec
  size: number
}

/** The grid's verdict on one portfolio. */
export interface PortfolioRisk {
  /** Per instrument: P&L rows by volatility shock, columns by price shock. */
  riskMatrix: Record<string, number[][]>
  /** The portfolio's P&L, rows by volatility shock, columns by price shock. */
  aggregated: number[][]
  worst: { priceShock: number; volatilityShock: number; pnl: number }
  maintenanceMargin: number
  initialMargin: number
}

/** The size Deribit's `simulated_positions` gives in base currency, in the instrument's amount unit. */
export function sizeFromBase(spec: InstrumentSpec, base: number, market: Market): number {
  // Inverse futures count USD; everything else counts the base coin.
  return spec.kind === 'future' && spec.instrument_type === 'reversed' ? base * market.mark(spec) : base
}

/** A position's size in base currency, the unit `pme/simulate` reports. */
export function sizeInBase(spec: InstrumentSpec, size: number, market: Market): number {
  return spec.kind === 'future' && spec.instrument_type === 'reversed' ? size / market.mark(spec) : size
}

function shocked(state: CoinState, priceShock: number, volShock: number): CoinState {
  return { ...state, index: state.index * (1 + priceShock), vol: state.vol * (1 + volShock) }
}

/** P&L of one position in one scenario, in its settlement currency (USD when `inUsd`). */
function scenarioPnl(
  p: RiskPosition,
  market: Market,
  now: number,
  priceShock: number,
  volShock: number,
  inUsd: boolean,
) {
  const state = shocked(market.coin(coinOf(p.spec)), priceShock, volShock)
  const entry = market.mark(p.spec)
  const pnl = unrealizedPnl(
    { instrument: p.spec, size: p.size, averagePrice: entry, realizedPnl: 0 },
    markFrom(p.spec, state, now),
  )
  if (!inUsd || p.spec.settlement_currency === 'USDC') return pnl
  return pnl * state.index
}

/** Stresses `positions` over the grid. */
export function stressPortfolio(
  positions: readonly RiskPosition[],
  market: Market,
  now: number,
  inUsd: boolean,
): PortfolioRisk {
  const grid = () => VOLATILITY_SHOCKS.map(() => PRICE_SHOCKS.map(() => 0))
  const riskMatrix: Record<string, number[][]> = {}
  const aggregated = grid()
  for (const p of positions) {
    riskMatrix[p.spec.instrument_name] ??= grid()
    const own = riskMatrix[p.spec.instrument_name] as number[][]
    for (const [i, v] of VOLATILITY_SHOCKS.entries()) {
      for (const [j, s] of PRICE_SHOCKS.entries()) {
        const pnl = scenarioPnl(p, market, now, s, v, inUsd)
        ;(own[i] as number[])[j] = (own[i]?.[j] ?? 0) + pnl
        ;(aggregated[i] as number[])[j] = (aggregated[i]?.[j] ?? 0) + pnl
      }
    }
  }
  let worst = { priceShock: 0, volatilityShock: 0, pnl: 0 }
  for (const [i, v] of VOLATILITY_SHOCKS.entries()) {
    for (const [j, s] of PRICE_SHOCKS.entries()) {
      const pnl = round8(aggregated[i]?.[j] ?? 0)
      if (pnl < worst.pnl) worst = { priceShock: s, volatilityShock: v, pnl }
    }
  }
  const round = (m: number[][]) => m.map((row) => row.map(round8))
  for (const name of Object.keys(riskMatrix)) riskMatrix[name] = round(riskMatrix[name] ?? [])
  const maintenanceMargin = round8(Math.max(0, -worst.pnl))
  return {
    riskMatrix,
    aggregated: round(aggregated),
    worst,
    maintenanceMargin,
    initialMargin: round8(maintenanceMargin * INITIAL_MARGIN_FACTOR),
  }
}
