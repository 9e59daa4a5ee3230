/**
 * The specs' schemas as ajv validators: a method's whole success response (OpenAPI) and a
 * channel's notification `data` (AsyncAPI). A spec whose own example fails its own schema has a
 * defect; {@link exampleDefects} finds those, so a check can tolerate exactly that mismatch.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { readSpec } from '../../scripts/specFiles.js'
import { CHANNEL_TABLE } from '../../src/protocol/generated/channelTable.js'
import { METHOD_TABLE } from '../../src/protocol/generated/methodTable.js'

type Json = Record<string, unknown>

const openapi = readSpec('deribit-openapi.json')
// AsyncAPI's document-level `id` is not a JSON Schema id; ajv refuses the draft-04 keyword.
const { id: _asyncapiId, ...asyncapi } = readSpec('deribit-asyncapi.json')

// OpenAPI 3.0 carries `example` and `nullable` beside JSON Schema: not strict. int64 is a number.
const ajv = new Ajv({ strict: false, allErrors: true, formats: { int64: true } })
ajv.addSchema(openapi, 'openapi')
ajv.addSchema(asyncapi, 'asyncapi')

const compiled = new Map<string, ValidateFunction>()
function validator(key: string): ValidateFunction {
  let v = compiled.get(key)
  if (v === undefined) {
    v = ajv.getSchema(key)
    if (v === undefined) throw new Error(`no schema at ${key}`)
    compiled.set(key, v)
  }
  return v
}

/** One schema mismatch, independent of array indices: `path schemaPath message`. */
export function signature(e: ErrorObject): string {
  return `${e.instancePath.replace(/\/\d+(?=\/|$)/g, '/*')} ${e.schemaPath} ${e.message ?? ''}`
}

function mismatches(v: ValidateFunction, value: unknown): string[] {
  return v(value) ? [] : [...new Set((v.errors ?? []).map(signature))]
}

/** Mismatches of a whole JSON-RPC success response against the method's response schema. */
export function responseMismatches(method: string, response: unknown): string[] {
  const spec = (METHOD_TABLE as Readonly<Record<string, { response?: string }>>)[method]
  if (spec?.response === undefined) throw new Error(`${method}: the spec documents no response`)
  return mismatches(validator(`openapi${spec.response}`), response)
}

/** Mismatches of a notification's `data` against the channel family's payload schema. */
export function payloadMismatches(family: string, data: unknown): string[] {
  const spec = (CHANNEL_TABLE as Readonly<Record<string, { payload: string }>>)[family]
  if (spec === undefined) throw new Error(`unknown channel family ${family}`)
  return mismatches(validator(`asyncapi${spec.payload}`), data)
}

function examplesOfMethod(method: string): unknown[] {
  const op = ((openapi.paths as Json)[`/${method}`] as Json).get as Json
  const ok = (op.responses as Json)['200'] as Json
  if (typeof ok.$ref !== 'string') return []
  const name = ok.$ref.split('/').at(-1) ?? ''
  const body = (((openapi.components as Json).responses as Json)[name] as Json).content as Json
  const examples = ((body['application/json'] as Json).examples ?? {}) as Record<string, Json>
  return Object.values(examples).map((e) => e.value)
}

function examplesOfChannel(family: string): unknown[] {
  const ch = (asyncapi.channels as Record<string, Json>)[family]
  const message = (ch?.messages as Json | undefined)?.subscription_message as Json | undefined
  return ((message?.examples ?? []) as Json[]).map((e) => e.payload)
}

/**
 * The spec's known defects: for each method (or channel family) whose own examples fail its own
 * schema, the mismatch signatures they show. Real answers shaped like the examples may show them too.
 */
export function exampleDefects(kind: 'methods' | 'channels'): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  const names = kind === 'methods' ? Object.keys(METHOD_TABLE) : Object.keys(CHANNEL_TABLE)
  for (const name of names) {
    const spec = kind === 'methods' ? (METHOD_TABLE as Readonly<Record<string, { response?: string }>>)[name] : {}
    if (spec?.response === undefined && kind === 'methods') continue
    const examples = kind === 'methods' ? examplesOfMethod(name) : examplesOfChannel(name)
    const found = new Set<string>()
    for (const ex of examples) {
      const ms = kind === 'methods' ? responseMismatches(name, ex) : payloadMismatches(name, ex)
      for (const m of ms) found.add(m)
    }
    if (found.size > 0) out.set(name, found)
  }
  return out
}
