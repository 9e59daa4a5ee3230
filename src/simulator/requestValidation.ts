import { METHOD_TABLE } from '../protocol/generated/methodTable.js'
import type { MethodSpec, SpecType } from '../protocol/specTable.js'
import { invalidParams } from './contract.js'

const TABLE: Readonly<Record<string, MethodSpec>> = METHOD_TABLE

/**
 * Params the spec marks required that Deribit requires only in some forms of the call: each
 * `grant_type` of `public/auth` needs its own subset, which the auth handler checks; and
 * `public/get_instruments` without `currency` answers every instrument on the live exchange
 * (ccxt's `loadMarkets` calls it so), which the handler does; `private/cancel_quotes` needs
 * `currency` or `currency_pair` only for the `cancel_type` of that name.
 */
const CONDITIONALLY_REQUIRED: Readonly<Record<string, ReadonlySet<string>>> = {
  'public/auth': new Set(['client_id', 'client_secret', 'refresh_token', 'timestamp', 'signature']),
  'public/get_instruments': new Set(['currency']),
  // Each needed by its own `cancel_type` only (the handler checks); with another type it narrows.
  'private/cancel_quotes': new Set(['currency', 'currency_pair']),
}

/**
 * Params the spec types string that carry a JSON object: the spec's own request examples send the
 * object itself, and GET sends its JSON text. Both pass here; the handler reads either.
 */
const JSON_OBJECT_PARAMS: Readonly<Record<string, ReadonlySet<string>>> = {
  'private/set_clearance_originator': new Set(['deposit_id', 'originator']),
  'private/pme/simulate': new Set(['simulated_positions']),
}

const NUMERIC = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/

/** A value that failed its type: the reason to send in `data.reason`. */
class Mismatch {
  constructor(readonly reason: string) {}
}

function oneOf(values: readonly unknown[]): string {
  return `must be one of ${values.join(', ')}`
}

/**
 * Checks `value` against `type` and returns it normalised. Deribit reads numbers and booleans
 * given as strings (HTTP query strings carry nothing else, and ccxt sends amounts as strings),
 * so `"10"` becomes `10` and `"true"` becomes `true` where the spec says number or boolean.
 */
function conform(type: SpecType, value: unknown): unknown {
  switch (type.type) {
    case 'string':
      // A string enum that lists numbers (`resolution: [1, 3, …, '1D']`) takes them as numbers too.
      if (typeof value === 'number' && type.enum?.includes(value) === true) value = String(value)
      if (typeof value !== 'string') return new Mismatch('must be a string')
      break
    case 'number':
    case 'integer': {
      const n = typeof value === 'string' && NUMERIC.test(value.trim()) ? Number(value) : value
      if (typeof n !== 'number' || !Number.isFinite(n)) return new Mismatch('must be a number')
      if (type.type === 'integer' && !Number.isInteger(n)) return new Mismatch('must be an integer')
      if (type.minimum !== undefined && n < type.minimum) return new Mismatch(`must be at least ${type.minimum}`)
      if (type.maximum !== undefined && n > type.maximum) return new Mismatch(`must be at most ${type.maximum}`)
      value = n
      break
    }
    case 'boolean':
      // Any case: Python's HTTP clients write booleans as `True` / `False`.
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) value = value.toLowerCase() === 'true'
      if (typeof value !== 'boolean') return new Mismatch('must be a boolean')
      break
    case 'array': {
      if (!Array.isArray(value)) return new Mismatch('value must be a list')
      const items = type.items
      if (items === undefined) break
      const out: unknown[] = []
      for (const item of value) {
        const v = conform(items, item)
        if (v instanceof Mismatch) return new Mismatch(`list item ${v.reason}`)
        out.push(v)
      }
      return out
    }
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return new Mismatch('must be an object')
      const out: Record<string, unknown> = { ...value }
      for (const [key, fieldType] of Object.entries(type.properties ?? {})) {
        if (!Object.hasOwn(out, key) || out[key] === undefined) continue
        const v = conform(fieldType, out[key])
        if (v instanceof Mismatch) return new Mismatch(`${key} ${v.reason}`)
        out[key] = v
      }
      return out
    }
    case 'oneOf': {
      for (const alt of type.oneOf ?? []) {
        const v = conform(alt, value)
        if (!(v instanceof Mismatch)) return v
      }
      return new Mismatch('wrong format')
    }
  }
  // Numeric entries of a string enum match their text: the wire carries them as strings.
  if (
    type.enum !== undefined &&
    !type.enum.some((e) => e === value || (typeof e === 'number' && String(e) === value))
  ) {
    return new Mismatch(oneOf(type.enum))
  }
  return value
}

/**
 * Validates a request's params against the generated method table before dispatch: a missing
 * required param, a wrong type or an out-of-enum value throws Deribit's `-32602 Invalid params`
 * with `data: { param, reason }`. Returns the params with numbers and booleans normalised; params
 * the spec does not list (`access_token`) pass through untouched. A method outside the table is
 * returned as given (the dispatcher answers it -32601 when nothing implements it).
 */
export function validateParams(method: string, params: Record<string, unknown>): Record<string, unknown> {
  const spec = Object.hasOwn(TABLE, method) ? TABLE[method] : undefined
  if (spec === undefined) return params
  const conditional = CONDITIONALLY_REQUIRED[method]
  const jsonObjects = JSON_OBJECT_PARAMS[method]
  let out: Record<string, unknown> | undefined
  for (const p of spec.params) {
    const value = Object.hasOwn(params, p.name) ? params[p.name] : undefined
    if (value === undefined || value === null) {
      if (p.required && conditional?.has(p.name) !== true) throw invalidParams(p.name, 'missing')
      continue
    }
    if (jsonObjects?.has(p.name) === true && typeof value === 'object' && !Array.isArray(value)) continue
    const v = conform(p, value)
    if (v instanceof Mismatch) throw invalidParams(p.name, v.reason)
    if (v !== value) {
      out ??= { ...params }
      out[p.name] = v
    }
  }
  return out ?? params
}

/** Whether the spec tags `method` WebSocket-only (over HTTP Deribit answers 10030). */
export function wsOnlyBySpec(method: string): boolean {
  return Object.hasOwn(TABLE, method) && TABLE[method]?.wsOnly === true
}

/** The names of `method`'s array params (a query string's single value of one is a one-item list). */
export function arrayParamsOf(method: string): ReadonlySet<string> {
  const spec = Object.hasOwn(TABLE, method) ? TABLE[method] : undefined
  return new Set(spec?.params.filter((p) => p.type === 'array').map((p) => p.name))
}
