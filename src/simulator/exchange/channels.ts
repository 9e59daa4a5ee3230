/**
 * The public channel catalogue as the simulator serves it: which names
 * exist, and how a `book.*` channel name breaks into instrument, grouping and depth.
 */
import { CATALOGUE_CURRENCIES, type InstrumentSpec, KINDS } from './instruments.js'
import { INDEX_NAMES } from './market.js'

const INTERVALS: ReadonlySet<string> = new Set(['raw', '100ms', 'agg2'])
const GROUPED_INTERVALS: ReadonlySet<string> = new Set(['100ms', 'agg2'])
const DEPTHS: ReadonlySet<string> = new Set(['1', '10', '20'])
const BTC_GROUPS: ReadonlySet<string> = new Set(['none', '1', '2', '5', '10'])
const ETH_GROUPS: ReadonlySet<string> = new Set(['none', '5', '10', '25', '100', '250'])
const INDEXES: ReadonlySet<string> = new Set(INDEX_NAMES)

/** A grouped book view: its channel base (`book.{instrument}.{group}.{depth}`), bucket (0 = none) and depth. */
export interface GroupedView {
  readonly channelBase: string
  readonly group: number
  readonly depth: number
}

/** Every grouped view the catalogue allows for an instrument. */
export function groupedViews(instrument: InstrumentSpec): GroupedView[] {
  const eth = instrument.base_currency === 'ETH'
  const views: GroupedView[] = []
  for (const groupName of eth ? ETH_GROUPS : BTC_GROUPS) {
    for (const depth of DEPTHS) {
      views.push({
        channelBase: `book.${instrument.instrument_name}.${groupName}.${depth}`,
        group: groupName === 'none' ? 0 : Number(groupName) / (eth ? 100 : 1),
        depth: Number(depth),
      })
    }
  }
  return views
}

/** A parsed `book.*` channel. */
export type BookChannel =
  | { kind: 'incremental'; instrument: InstrumentSpec }
  | { kind: 'grouped'; instrument: InstrumentSpec; groupName: string; group: number; depth: number }

/**
 * Parses a `book.*` channel with its interval; undefined when it is not a valid book channel.
 * ETH groups are in hundredths (`group 100` buckets by 1.00), as Deribit documents.
 */
export function parseBookChannel(
  channel: string,
  lookup: (name: string) => InstrumentSpec | undefined,
): BookChannel | undefined {
  const parts = channel.split('.')
  if (parts[0] !== 'book') return undefined
  const instrument = lookup(parts[1] ?? '')
  if (instrument === undefined) return undefined
  if (parts.length === 3) return INTERVALS.has(parts[2] as string) ? { kind: 'incremental', instrument } : undefined
  if (parts.length !== 5) return undefined
  const [, , groupName = '', depth = '', interval = ''] = parts
  if (!DEPTHS.has(depth) || !GROUPED_INTERVALS.has(interval)) return undefined
  const eth = instrument.base_currency === 'ETH'
  if (!(eth ? ETH_GROUPS : BTC_GROUPS).has(groupName)) return undefined
  const group = groupName === 'none' ? 0 : Number(groupName) / (eth ? 100 : 1)
  return { kind: 'grouped', instrument, groupName, group, depth: Number(depth) }
}

/** True when `channel` (with its interval) is a public channel this simulator publishes. */
export function isPublicChannelName(channel: string, lookup: (name: string) => InstrumentSpec | undefined): boolean {
  const parts = channel.split('.')
  switch (parts[0]) {
    case 'book':
      return parseBookChannel(channel, lookup) !== undefined
    case 'ticker':
      return parts.length === 3 && lookup(parts[1] ?? '') !== undefined && INTERVALS.has(parts[2] as string)
    case 'trades':
      if (parts.length === 3) return lookup(parts[1] ?? '') !== undefined && INTERVALS.has(parts[2] as string)
      return (
        parts.length === 4 &&
        KINDS.has(parts[1] as string) &&
        CATALOGUE_CURRENCIES.has(parts[2] as string) &&
        INTERVALS.has(parts[3] as string)
      )
    case 'deribit_price_index':
      return parts.length === 2 && INDEXES.has(parts[1] as string)
    default:
      return false
  }
}
