/**
 * Reading request params with Deribit's `-32602 Invalid params {reason, param}` on bad input.
 * Numbers and booleans also come as strings over HTTP GET query strings, so those are accepted.
 */
import { invalidParams } from '../contract.js'

/** Params of one call. */
export type Params = Record<string, unknown>

/** A required non-empty string. */
export function requiredString(params: Params, name: string): string {
  const value = params[name]
  if (value === undefined || value === null || value === '') throw invalidParams(name, 'value required')
  if (typeof value !== 'string') throw invalidParams(name, 'must be a string')
  return value
}

/** An optional string. */
export function optionalString(params: Params, name: string): string | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw invalidParams(name, 'must be a string')
  return value
}

/** An optional finite number. */
export function optionalNumber(params: Params, name: string): number | undefined {
  const value = params[name]
  if (value === undefined || value === null || value === '') return undefined
  const n = typeof value === 'string' ? Number(value) : value
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalidParams(name, 'must be a number')
  return n
}

/** An optional boolean. */
export function optionalBoolean(params: Params, name: string): boolean | undefined {
  const value = params[name]
  if (value === undefined || value === null) return undefined
  if (value === true || value === 'true') return true
  if (value === false || value === 'false') return false
  throw invalidParams(name, 'must be a boolean')
}

/** An optional string from a fixed set. */
export function optionalEnum<T extends string>(params: Params, name: string, allowed: readonly T[]): T | undefined {
  const value = optionalString(params, name)
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) throw invalidParams(name, `must be one of ${allowed.join(', ')}`)
  return value as T
}

/** A required finite number. */
export function requiredNumber(params: Params, name: string): number {
  const value = optionalNumber(params, name)
  if (value === undefined) throw invalidParams(name, 'value required')
  return value
}

/** An optional integer in `[min, max]`. */
export function optionalInteger(params: Params, name: string, min: number, max: number): number | undefined {
  const value = optionalNumber(params, name)
  if (value === undefined) return undefined
  if (!Number.isInteger(value) || value < min || value > max)
    throw invalidParams(name, `must be an integer between ${min} and ${max}`)
  return value
}

/** A required string from a fixed set. */
export function requiredEnum<T extends string>(params: Params, name: string, allowed: readonly T[]): T {
  const value = optionalEnum(params, name, allowed)
  if (value === undefined) throw invalidParams(name, 'value required')
  return value
}

/** Required `start_timestamp` and `end_timestamp` (ms), start not after end. */
export function timeRange(params: Params): { start: number; end: number } {
  const start = requiredNumber(params, 'start_timestamp')
  const end = requiredNumber(params, 'end_timestamp')
  if (start > end) throw invalidParams('end_timestamp', 'must not be before start_timestamp')
  return { start, end }
}

/** Refuses `name` where it does not apply (another order type, another form of the call), naming `reason`. */
export function refuseUnless(params: Params, name: string, applies: boolean, reason: string): void {
  if (!applies && params[name] !== undefined && params[name] !== null) throw invalidParams(name, reason)
}
