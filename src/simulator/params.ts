import { invalidParams } from './contract.js'

/** A required string param; -32602 with `{reason, param}` otherwise. */
export function requireString(params: Record<string, unknown>, name: string): string {
  const v = params[name]
  if (typeof v !== 'string' || v === '') throw invalidParams(name, v === undefined ? 'missing' : 'must be a string')
  return v
}

/** An optional string param. */
export function optionalString(params: Record<string, unknown>, name: string): string | undefined {
  const v = params[name]
  if (v === undefined) return undefined
  if (typeof v !== 'string') throw invalidParams(name, 'must be a string')
  return v
}

/** A required finite number (a numeric string, as HTTP query strings carry, is accepted). */
export function requireNumber(params: Record<string, unknown>, name: string): number {
  const v = params[name]
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw invalidParams(name, v === undefined ? 'missing' : 'must be a number')
  }
  return n
}

/** An optional boolean, with its default. */
export function optionalBoolean(params: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const v = params[name]
  if (v === undefined) return fallback
  if (typeof v !== 'boolean') throw invalidParams(name, 'must be a boolean')
  return v
}

/** An optional string param restricted to some values. */
export function optionalEnum<T extends string>(
  params: Record<string, unknown>,
  name: string,
  values: readonly T[],
  fallback: T,
): T {
  const v = params[name]
  if (v === undefined) return fallback
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
    throw invalidParams(name, `must be one of ${values.join(', ')}`)
  }
  return v as T
}

/** A required list of strings (`channels`). */
export function requireStringList(params: Record<string, unknown>, name: string): string[] {
  const v = params[name]
  if (!Array.isArray(v)) throw invalidParams(name, 'value must be a list')
  if (!v.every((x): x is string => typeof x === 'string')) throw invalidParams(name, 'value must be a list of strings')
  return v
}
