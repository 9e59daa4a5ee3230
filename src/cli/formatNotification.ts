/**
 * One readable line per notification for `watch`. Knows the common channel families (trades,
 * book, ticker, user orders/trades); anything else is shown as compact JSON, shortened. Never
 * throws: a notification of an unexpected shape falls back to JSON.
 */

/** Longest line {@link formatNotification} prints before shortening with "…". */
export const MAX_LINE_CHARS = 240

type Fields = Record<string, unknown>

const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null

/**
 * `HH:MM:SS.mmm  channel  summary`, e.g.
 * `12:00:01.250  trades.BTC-PERPETUAL.100ms  buy 10 @ 50012.5 (+1 more)`.
 *
 * @example
 * client.subscribe(channels, (data, channel) => console.log(formatNotification(channel, data)))
 */
export function formatNotification(channel: string, data: unknown, at: Date = new Date()): string {
  let summary: string
  try {
    summary = summarise(channel, data) ?? compactJson(data)
  } catch {
    summary = compactJson(data)
  }
  return shorten(`${at.toISOString().slice(11, 23)}  ${channel}  ${summary}`)
}

function summarise(channel: string, data: unknown): string | undefined {
  const family = channel.slice(0, channel.indexOf('.'))
  if (family === 'trades' || channel.startsWith('user.trades.')) return summariseList(data, trade)
  if (family === 'book') return isFields(data) ? book(data) : undefined
  if (family === 'ticker' || family === 'incremental_ticker') return isFields(data) ? ticker(data) : undefined
  if (channel.startsWith('user.orders.')) return summariseList(data, order)
  return undefined
}

/** First item in full, then how many more the notification carried. */
function summariseList(data: unknown, one: (item: Fields) => string | undefined): string | undefined {
  const items = Array.isArray(data) ? data : [data]
  const first = items[0]
  if (!isFields(first)) return undefined
  const line = one(first)
  if (line === undefined) return undefined
  return items.length > 1 ? `${line} (+${items.length - 1} more)` : line
}

function trade(t: Fields): string | undefined {
  if (typeof t.direction !== 'string' || typeof t.price !== 'number') return undefined
  return `${t.direction} ${String(t.amount)} @ ${t.price}${t.liquidation ? ' liquidation' : ''}`
}

/**
 * A market order's `price` is only the exchange's protection band, not what it paid: such an order
 * shows as `market`, and any fill shows the `average_price` it was filled at.
 */
function order(o: Fields): string | undefined {
  if (typeof o.order_id !== 'string') return undefined
  const filledAmount = typeof o.filled_amount === 'number' && o.filled_amount > 0 ? o.filled_amount : 0
  const average = typeof o.average_price === 'number' && o.average_price > 0 ? ` @ ${o.average_price}` : ''
  const filled = filledAmount > 0 ? ` filled ${filledAmount}${average}` : ''
  const price = o.order_type === 'market' ? 'market' : `@ ${String(o.price)}`
  const label = typeof o.label === 'string' && o.label !== '' ? ` label=${o.label}` : ''
  return `${o.order_id} ${String(o.order_state)} ${String(o.direction)} ${String(o.amount)} ${price} ${String(
    o.instrument_name,
  )}${filled}${label}`
}

function book(b: Fields): string | undefined {
  if (!Array.isArray(b.bids) || !Array.isArray(b.asks)) return undefined
  const kind = typeof b.type === 'string' ? b.type : 'book'
  const id = typeof b.change_id === 'number' ? ` #${b.change_id}` : ''
  return `${kind}${id} bids ${b.bids.length} asks ${b.asks.length}${topOf('bid', b.bids)}${topOf('ask', b.asks)}`
}

/** The first level's price: `[action, price, amount]` for incremental books, `[price, amount]` for grouped ones. */
function topOf(side: string, levels: unknown[]): string {
  const level = levels[0]
  if (!Array.isArray(level)) return ''
  const price = level.length >= 3 ? level[1] : level[0]
  return typeof price === 'number' ? ` ${side} ${price}` : ''
}

function ticker(t: Fields): string | undefined {
  const parts: string[] = []
  for (const key of ['last_price', 'mark_price', 'best_bid_price', 'best_ask_price'] as const) {
    if (typeof t[key] === 'number') parts.push(`${key.replace('_price', '').replace('best_', '')} ${t[key]}`)
  }
  return parts.length > 0 ? parts.join('  ') : undefined
}

function compactJson(data: unknown): string {
  try {
    return JSON.stringify(data) ?? String(data)
  } catch {
    return String(data)
  }
}

function shorten(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS - 1)}…` : line
}
