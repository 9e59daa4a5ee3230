/**
 * What each channel delivers as `data`. Deribit's AsyncAPI file names every channel family but types
 * each payload only as "an object", so the shapes come from its OpenAPI file instead: this table says
 * which component schema a family's payload is (and whether it comes as a list). The same table
 * drives the types ({@link ChannelPayload}) and the runtime schema checks in the tests. The three
 * families neither spec describes use the protocol reference's shapes ({@link BookChange},
 * {@link GroupedBook}, {@link PriceIndex}); the rest are `unknown` until a spec describes them.
 */
import type { FamilyOf } from './channelNames.js'
import type { components } from './generated/openapiSchemas.js'
import type { BookChange, GroupedBook, PriceIndex } from './types.js'

type Schemas = components['schemas']

/** Where a family's payload schema lives in the OpenAPI file's `components/schemas`. */
export interface PayloadSchema {
  /** The component schema, e.g. `order`. */
  readonly schema: keyof Schemas
  /** True when `data` is an array of them. */
  readonly list?: true
}

/** The payload schema of every family an OpenAPI component describes, by family. */
export const CHANNEL_PAYLOAD_SCHEMAS = {
  'ticker.(instrument_name).(interval)': { schema: 'TickerNotification' },
  'trades.(instrument_name).(interval)': { schema: 'public_trade', list: true },
  'trades.(kind).(currency).(interval)': { schema: 'public_trade', list: true },
  'user.trades.(instrument_name).(interval)': { schema: 'user_trade', list: true },
  'user.trades.(kind).(currency).(interval)': { schema: 'user_trade', list: true },
  'user.combo_trades.(instrument_name).(interval)': { schema: 'user_trade', list: true },
  'user.combo_trades.(kind).(currency).(interval)': { schema: 'user_trade', list: true },
  'user.orders.(instrument_name).raw': { schema: 'order' },
  'user.orders.(kind).(currency).raw': { schema: 'order' },
  'user.orders.(instrument_name).(interval)': { schema: 'order', list: true },
  'user.orders.(kind).(currency).(interval)': { schema: 'order', list: true },
  'user.changes.(instrument_name).(interval)': { schema: 'user_change' },
  'user.changes.(kind).(currency).(interval)': { schema: 'user_change' },
  'user.portfolio.(currency)': { schema: 'currency_portfolio' },
} as const satisfies Readonly<Record<string, PayloadSchema>>

type SchemaTable = typeof CHANNEL_PAYLOAD_SCHEMAS

/** Payloads typed from the protocol reference, where neither spec has a schema. */
interface ReferencePayloads {
  'book.(instrument_name).(interval)': BookChange
  'book.(instrument_name).(group).(depth).(interval)': GroupedBook
  'deribit_price_index.(index_name)': PriceIndex
}

/** The `data` of a family's notifications. */
export type FamilyPayload<F> = F extends keyof ReferencePayloads
  ? ReferencePayloads[F]
  : F extends keyof SchemaTable
    ? SchemaTable[F] extends { readonly schema: infer S extends keyof Schemas; readonly list: true }
      ? Schemas[S][]
      : SchemaTable[F] extends { readonly schema: infer S extends keyof Schemas }
        ? Schemas[S]
        : never
    : unknown

/**
 * The `data` of a channel's notifications, e.g. `ChannelPayload<'ticker.BTC-PERPETUAL.100ms'>` is the
 * ticker and `ChannelPayload<'user.orders.any.any.raw'>` one order. For a union of channels, the
 * union of their payloads.
 */
export type ChannelPayload<C extends string> = C extends string ? FamilyPayload<FamilyOf<C>> : never
