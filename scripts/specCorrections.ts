/**
 * Where Deribit's OpenAPI file contradicts what Deribit sends, the typed surface follows the wire.
 * Each correction names its evidence: a recorded real payload in `fixtures/`, or the spec's own
 * example. The type generator applies them before openapi-typescript sees the schemas, and the
 * tests' runtime validators apply the same ones, so types and checks never disagree.
 */

type Json = Record<string, unknown>

/** One property of one component schema, replaced. */
export interface SpecCorrection {
  /** The component schema, e.g. `user_trade`. */
  readonly schema: string
  /** The property whose schema is replaced (or added). */
  readonly property: string
  /** Its schema as the wire has it. */
  readonly replacement: Json
  /** What shows the wire differs from the spec. */
  readonly evidence: string
}

/** Every correction, applied in order. */
export const SPEC_CORRECTIONS: readonly SpecCorrection[] = [
  {
    schema: 'user_trade',
    property: 'matching_id',
    replacement: { type: 'string', nullable: true },
    evidence: 'typed string, documented as always null; null in fixtures/orders/buy.response.json',
  },
  {
    schema: 'user_trade',
    property: 'reduce_only',
    replacement: { type: 'boolean' },
    evidence: 'typed string; a boolean in fixtures/notifications/user_trades.json and orders/buy.response.json',
  },
  {
    schema: 'user_trade',
    property: 'post_only',
    replacement: { type: 'boolean' },
    evidence: 'typed string; a boolean in fixtures/notifications/user_trades.json and orders/buy.response.json',
  },
  {
    schema: 'user_trade',
    property: 'profit_loss',
    replacement: { type: 'number', nullable: true },
    evidence: 'typed number; null in the AsyncAPI user.combo_trades example',
  },
  {
    schema: 'instrument',
    property: 'tick_size_steps',
    replacement: { type: 'array', items: { $ref: '#/components/schemas/tick_size_step' } },
    evidence: "typed as one object; the spec's own public/get_instruments example has an array",
  },
  {
    schema: 'currency_portfolio',
    property: 'currency',
    replacement: { type: 'string' },
    evidence: "enum of lower-case btc/eth; the AsyncAPI user.portfolio example has 'BTC'",
  },
  {
    schema: 'user_change',
    property: 'positions',
    replacement: { type: 'array', items: { $ref: '#/components/schemas/position' } },
    evidence: 'the spec names it position; positions in fixtures/notifications/user_changes.json',
  },
]

/** A copy of `components.schemas` with {@link SPEC_CORRECTIONS} applied; the input is not changed. */
export function correctedSchemas(schemas: Json): Json {
  const out: Json = structuredClone(schemas)
  for (const fix of SPEC_CORRECTIONS) {
    const schema = out[fix.schema] as { properties?: Json } | undefined
    if (schema?.properties === undefined) throw new Error(`spec correction: no schema ${fix.schema}`)
    schema.properties[fix.property] = structuredClone(fix.replacement)
  }
  return out
}
