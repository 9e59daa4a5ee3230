/**
 * The public channel catalogue as the simulator serves it (Deribit's AsyncAPI channel families):
 * which names exist, how a `book.*` channel name breaks into instrument, grouping and depth, and
 * which families are refused as not simulated.
 */
import { notSimulated, type SimRpcError } from '../contract.js'
import { isChartResolution } from './chartResolution.js'
import { CATALOGUE_CURRENCIES, type InstrumentSpec, KINDS } from './instruments.js'
import { INDEX_NAMES } from './market.js'

const INTERVALS: ReadonlySet<string> = new Set(['raw', '100ms', 'agg2'])
const GROUPED_INTERVALS: ReadonlySet<string> = new Set(['100ms', 'agg2'])
const DEPTHS: ReadonlySet<string> = new Set(['1', '10', '20'])
const BTC_GROUPS: ReadonlySet<string> = new Set(['none', '1', '2', '5', '10'])
const ETH_GROUPS: ReadonlySet<string> = new Set(['none', '5', '10', '25', '100', '250'])
const INDEXES: ReadonlySet<string> = new Set(INDEX_NAMES)
/** Indices with options and a volatility index (the USDC pairs price only linear instruments). */
const OPTION_INDEXES: ReadonlySet<string> = new Set(['btc_usd', 'eth_usd'])
/** Kinds of `trades.{kind}.{currency}` and `instrument.state.{kind}.{currency}`: the catalogue's, `combo` and `any`. */
const CHANNEL_KINDS: ReadonlySet<string> = new Set([...KINDS, 'combo', 'any'])
/** Channels without parameters. */
const FIXED: ReadonlySet<string> = new Set(['platform_state', 'platform_state.public_methods_state', 'announcements'])

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
  if (FIXED.has(channel)) return true
  const parts = channel.split('.')
  const [family = '', a = '', b = '', c = ''] = parts
  const instrument = (): InstrumentSpec | undefined => lookup(a)
  switch (family) {
    case 'book':
      return parseBookChannel(channel, lookup) !== undefined
    case 'ticker':
      return parts.length === 3 && instrument() !== undefined && INTERVALS.has(b)
    case 'trades':
      if (parts.length === 3) return instrument() !== undefined && INTERVALS.has(b)
      return parts.length === 4 && CHANNEL_KINDS.has(a) && CATALOGUE_CURRENCIES.has(b) && INTERVALS.has(c)
    case 'incremental_ticker':
    case 'quote':
      return parts.length === 2 && instrument() !== undefined
    case 'perpetual': {
      const spec = instrument()
      return parts.length === 3 && spec?.settlement_period === 'perpetual' && spec.kind === 'future' && INTERVALS.has(b)
    }
    case 'chart':
      // `chart.trades.{instrument}.{resolution}`
      return parts.length === 4 && a === 'trades' && lookup(b) !== undefined && isChartResolution(c)
    case 'deribit_price_index':
    case 'deribit_price_ranking':
    case 'deribit_price_statistics':
      return parts.length === 2 && INDEXES.has(a)
    case 'deribit_volatility_index':
    case 'estimated_expiration_price':
      return parts.length === 2 && OPTION_INDEXES.has(a)
    case 'markprice':
      return parts.length === 3 && a === 'options' && OPTION_INDEXES.has(b)
    case 'instrument':
      return parts.length === 4 && a === 'state' && CHANNEL_KINDS.has(b) && CATALOGUE_CURRENCIES.has(c)
    default:
      return false
  }
}

/**
 * The refusal of a channel of a family the simulator does not simulate (block trade
 * confirmations, block RFQ, combo trades), or undefined for any other channel.
 */
export function channelRefusal(channel: string): SimRpcError | undefined {
  if (channel === 'block_trade_confirmations' || channel.startsWith('block_trade_confirmations.'))
    return notSimulated(channel, 'block trades are not simulated')
  if (channel.startsWith('block_rfq.')) return notSimulated(channel, 'block RFQs are not simulated')
  // No combo instruments are listed, so user.combo_trades could never deliver.
  if (channel.startsWith('user.combo_trades.')) return notSimulated(channel, 'combo books are not simulated')
  return undefined
}
