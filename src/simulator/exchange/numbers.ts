/**
 * Decimal hygiene for prices and amounts held as binary floats: every stored value is
 * rounded so that sums such as 0.1 + 0.2 never leak into the wire or a map key.
 */

/** Rounds to 8 decimals, the precision amounts and balances are kept at. */
export function round8(value: number): number {
  return Math.round(value * 1e8) / 1e8
}

/** Rounds to 10 decimals: removes float noise from a price that is already on a tick. */
export function clean(value: number): number {
  return Math.round(value * 1e10) / 1e10
}

/** The multiple of `step` nearest to `value`. */
export function roundToStep(value: number, step: number): number {
  return clean(Math.round(value / step) * step)
}

/** The largest multiple of `step` not above `value`. */
export function floorToStep(value: number, step: number): number {
  return clean(Math.floor(value / step + 1e-9) * step)
}

/** The smallest multiple of `step` not below `value`. */
export function ceilToStep(value: number, step: number): number {
  return clean(Math.ceil(value / step - 1e-9) * step)
}

/** True when `value` is a whole multiple of `step` (within float noise). */
export function isMultipleOf(value: number, step: number): boolean {
  const n = value / step
  return Math.abs(n - Math.round(n)) < 1e-7
}
