/**
 * Channel-name rules. Pure string functions shared by the
 * client (what to resubscribe, which channels follow an identity) and the simulator.
 */

/** Update intervals a channel can carry. `raw` needs an authenticated connection. */
export type Interval = 'raw' | '100ms' | 'agg2'

/** True for `user.*` channels: they deliver one account's events and belong to an identity. */
export function isPrivateChannel(channel: string): boolean {
  return channel.startsWith('user.')
}

/** The interval a channel name ends with, when it has one. */
export function channelInterval(channel: string): Interval | undefined {
  const last = channel.slice(channel.lastIndexOf('.') + 1)
  return last === 'raw' || last === '100ms' || last === 'agg2' ? last : undefined
}

/** True when subscribing needs an authorized connection: private or `raw` channels. */
export function needsAuth(channel: string): boolean {
  return isPrivateChannel(channel) || channelInterval(channel) === 'raw'
}

/**
 * An incremental book channel, `book.{instrument}.{interval}`: the only kind whose
 * notifications chain by `change_id`/`prev_change_id`. Grouped books
 * (`book.{instrument}.{group}.{depth}.{interval}`) are full snapshots and do not chain.
 */
export function isIncrementalBookChannel(channel: string): boolean {
  if (!channel.startsWith('book.')) return false
  // Exactly three parts, counted without allocating: this runs for every book notification.
  const second = channel.indexOf('.', 5)
  return second !== -1 && channel.indexOf('.', second + 1) === -1
}

/** The instrument a `book.*`, `trades.{instrument}.*`, `ticker.*` or `user.*.{instrument}.*` channel names, if any. */
export function channelInstrument(channel: string): string | undefined {
  const parts = channel.split('.')
  if (parts[0] === 'user') return parts[2]?.includes('-') ? parts[2] : undefined
  return parts[1]?.includes('-') ? parts[1] : undefined
}
