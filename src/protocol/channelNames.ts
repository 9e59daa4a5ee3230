/**
 * Channel names as types and as a runtime check, both derived from the generated channel table
 * (Deribit's AsyncAPI file): `book.${string}.${Interval}`, `user.orders.${Kind}.${Currency}.raw`, …
 * A name is matched segment by segment (instrument and index names hold no dots); where two
 * families match, the one with fewer parameters wins, so `user.orders.X.raw` is the `.raw` family.
 */
import { CHANNEL_TABLE } from './generated/channelTable.js'
import type { ChannelParamSpec, ChannelSpec } from './specTable.js'

type Table = typeof CHANNEL_TABLE

/** A channel family as the AsyncAPI file names it, e.g. `'book.(instrument_name).(interval)'`. */
export type ChannelFamily = keyof Table

/**
 * Parameter values Deribit accepts that the AsyncAPI file's enums leave out: Deribit's channel
 * documentation lists these kinds, `user.orders.any.any.raw` is what bots use, and the currencies
 * are the OpenAPI file's `wallet_currency` enum plus EURR. Currencies also match in lower case, as
 * Deribit's own `user.portfolio.btc` example writes them.
 */
export const CHANNEL_PARAM_EXTRAS = {
  kind: ['any', 'future_combo', 'option_combo'],
  currency: ['EURR', 'STETH', 'ETHW', 'SOL', 'XRP', 'USYC', 'PAXG', 'BNB', 'USDE'],
} as const satisfies Readonly<Record<string, readonly string[]>>

type Extras = typeof CHANNEL_PARAM_EXTRAS

/** The values a channel parameter takes: its enum (plus {@link CHANNEL_PARAM_EXTRAS}), else any name. */
type ParamValue<P, N extends string> =
  Extract<P, { readonly name: N }> extends { readonly enum: readonly (infer E extends string)[] }
    ? N extends 'currency'
      ? E | Extras[N][number] | Lowercase<E | Extras[N][number]>
      : E | (N extends keyof Extras ? Extras[N][number] : never)
    : string

/** Fills a family's `(name)` placeholders with their value types. */
type Fill<F extends string, P> = F extends `${infer Head}(${infer N})${infer Tail}`
  ? `${Head}${ParamValue<P, N>}${Fill<Tail, P>}`
  : F

/** The channel names of one family, e.g. `` `ticker.${string}.${'raw' | '100ms' | 'agg2'}` ``. */
export type ChannelOf<F extends ChannelFamily> = Fill<F, Table[F]['params'][number]>

/** Every channel name Deribit's AsyncAPI file describes. */
export type ChannelName = { [F in ChannelFamily]: ChannelOf<F> }[ChannelFamily]

type Segments<S extends string> = S extends `${infer A}.${infer B}` ? [A, ...Segments<B>] : [S]

/** True when every segment of the name fits the family's segment (no dots inside a parameter). */
type SegmentsFit<C extends readonly string[], F extends readonly string[], P> = C extends [
  infer C0 extends string,
  ...infer CRest extends string[],
]
  ? F extends [infer F0 extends string, ...infer FRest extends string[]]
    ? C0 extends Fill<F0, P>
      ? SegmentsFit<CRest, FRest, P>
      : false
    : false
  : F extends []
    ? true
    : false

type Matching<C extends string> = {
  [F in ChannelFamily]: SegmentsFit<Segments<C>, Segments<F>, Table[F]['params'][number]> extends true ? F : never
}[ChannelFamily]

type ParamCount<F extends ChannelFamily> = Table[F]['params']['length']
/** True when tuple `A` is shorter than `B`: counts up until it reaches one of the two lengths. */
type Shorter<A extends readonly unknown[], B extends number, Acc extends unknown[] = []> = Acc['length'] extends B
  ? false
  : Acc['length'] extends A['length']
    ? true
    : Shorter<A, B, [...Acc, unknown]>

/** The family a channel name belongs to (`never` for a name no family describes). */
export type FamilyOf<C extends string> = Fewest<Matching<C>>

/** The families of a union that no other member beats by having fewer parameters. */
type Fewest<M extends ChannelFamily, All extends ChannelFamily = M> = M extends ChannelFamily
  ? true extends { [G in Exclude<All, M>]: Shorter<Table[G]['params'], ParamCount<M>> }[Exclude<All, M>]
    ? never
    : M
  : never

/**
 * `C` itself when it names a channel segment by segment, else `never`. Template literal types let
 * `${string}` span dots (`user.orders.futures.BTC.raw` fits `user.orders.${string}.raw`); a
 * parameter typed `C & CheckedChannel<C>` refuses such names at compile time. Checked member by member
 * for a union.
 */
export type CheckedChannel<C extends string> = C extends string ? ([FamilyOf<C>] extends [never] ? never : C) : never

function paramFits(param: ChannelParamSpec, value: string): boolean {
  if (value.length === 0) return false
  if (param.enum === undefined) return true
  const extra: readonly string[] = CHANNEL_PARAM_EXTRAS[param.name as keyof Extras] ?? []
  if (param.enum.includes(value) || extra.includes(value)) return true
  const upper = value.toUpperCase()
  return (
    param.name === 'currency' && value === value.toLowerCase() && (param.enum.includes(upper) || extra.includes(upper))
  )
}

function familyFits(family: ChannelSpec, segments: readonly string[]): boolean {
  const pattern = family.family.split('.')
  if (pattern.length !== segments.length) return false
  return pattern.every((part, i) => {
    const value = segments[i] as string
    if (!part.startsWith('(')) return part === value
    const param = family.params.find((p) => `(${p.name})` === part)
    return param !== undefined && paramFits(param, value)
  })
}

/**
 * The family a channel name belongs to, by the same rules as {@link FamilyOf}; undefined for a
 * name no family describes. Not on the notification path: for edges such as the CLI and tests.
 */
export function channelFamily(channel: string): ChannelFamily | undefined {
  const segments = channel.split('.')
  let best: ChannelSpec | undefined
  for (const family of Object.values(CHANNEL_TABLE) as ChannelSpec[]) {
    if (!familyFits(family, segments)) continue
    if (best === undefined || family.params.length < best.params.length) best = family
  }
  return best?.family as ChannelFamily | undefined
}

/** Narrows a string (a CLI argument, a config value) to a {@link ChannelName}. */
export function isChannelName(channel: string): channel is ChannelName {
  return channelFamily(channel) !== undefined
}
