/**
 * The economics behind the simulated marks: Black-76 option values and greeks on the future
 * price, a term basis for dated futures, and Deribit's perpetual funding formula (the premium
 * of the perpetual over its index, less a ±0.05 % dead band, capped).
 */

/** Milliseconds in a 365-day year, the time unit of volatility and rates. */
export const YEAR_MS = 365 * 86_400_000
/** Annual basis of dated futures over the index. */
export const FUTURE_BASIS_PER_YEAR = 0.05
/** Dead band of the funding formula: premiums inside ±0.05 % fund nothing. */
const FUNDING_DEAD_BAND = 0.0005
/** Cap of the 8-hour funding rate. */
const FUNDING_CAP = 0.005
/** Skew of the simulated smile: volatility grows with distance from the money. */
const SMILE = 0.25

/** The 8-hour funding rate for a perpetual trading `premium` (relative) over its index. */
export function funding8h(premium: number): number {
  const rate = Math.max(0, premium - FUNDING_DEAD_BAND) + Math.min(0, premium + FUNDING_DEAD_BAND)
  return Math.max(-FUNDING_CAP, Math.min(FUNDING_CAP, rate))
}

/** The fair price of a dated future expiring in `yearsLeft`. */
export function forwardPrice(index: number, yearsLeft: number): number {
  return index * (1 + FUTURE_BASIS_PER_YEAR * Math.max(0, yearsLeft))
}

/** The implied volatility (fraction) at `strike` given the at-the-money volatility. */
export function smileVol(atmVol: number, forward: number, strike: number): number {
  return atmVol * (1 + SMILE * Math.abs(Math.log(strike / forward)))
}

/** Values of one option, in the quote coin (price divided by the index), with greeks as Deribit reports them. */
export interface OptionValue {
  price: number
  delta: number
  gamma: number
  vega: number
  theta: number
  rho: number
}

/** Standard normal CDF (Abramowitz–Stegun 7.1.26, error < 1.5e-7). */
function cdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2)
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2)
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y)
}

function pdf(x: number): number {
  return Math.exp(-(x * x) / 2) / Math.sqrt(2 * Math.PI)
}

/**
 * Black-76 on the forward, expressed in coin (Deribit quotes BTC options in BTC). At or past expiry
 * the value is the intrinsic value.
 */
export function optionValue(
  type: 'call' | 'put',
  index: number,
  strike: number,
  yearsLeft: number,
  vol: number,
): OptionValue {
  const forward = forwardPrice(index, yearsLeft)
  const call = type === 'call'
  if (yearsLeft <= 0 || vol <= 0) {
    const intrinsic = Math.max(0, call ? index - strike : strike - index)
    const itm = intrinsic > 0 ? 1 : 0
    return { price: intrinsic / index, delta: call ? itm : -itm, gamma: 0, vega: 0, theta: 0, rho: 0 }
  }
  const sd = vol * Math.sqrt(yearsLeft)
  const d1 = (Math.log(forward / strike) + (sd * sd) / 2) / sd
  const d2 = d1 - sd
  const usd = call ? forward * cdf(d1) - strike * cdf(d2) : strike * cdf(-d2) - forward * cdf(-d1)
  const vegaUsd = (forward * pdf(d1) * Math.sqrt(yearsLeft)) / 100
  return {
    price: usd / index,
    delta: call ? cdf(d1) : cdf(d1) - 1,
    gamma: pdf(d1) / (forward * sd),
    vega: vegaUsd,
    theta: -(forward * pdf(d1) * vol) / (2 * Math.sqrt(yearsLeft)) / 365,
    rho: (call ? 1 : -1) * strike * yearsLeft * cdf(call ? d2 : -d2) * 0.01,
  }
}
