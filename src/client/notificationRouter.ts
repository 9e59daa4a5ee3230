import { type OrderTracker, trackerInternals } from '../orders/orderTracker.js'
import { isIncrementalBookChannel } from '../protocol/channels.js'
import type { BookChange, Order } from '../protocol/types.js'
import { BookSequencer } from '../subscriptions/bookSequencer.js'
import type { SubscriptionManager } from '../subscriptions/subscriptionManager.js'
import type { GapEvent } from './events.js'

/** What the router needs from the client. */
export interface NotificationRouterOptions {
  subscriptions: SubscriptionManager
  tracker: OrderTracker
  /** The (sub)account the connection's private channels deliver now. */
  subject: () => number | undefined
  /** A book stream skipped a change (reported before the fresh snapshot is asked for). */
  onGap: (event: GapEvent) => void
}

/**
 * Where every notification goes (the per-frame path): incremental books are checked for gaps
 * (a gap drops changes until a fresh snapshot and asks the subscription manager for one), order
 * updates feed the tracker under the account the connection carries, and then the handlers run.
 */
export class NotificationRouter {
  readonly #options: NotificationRouterOptions
  readonly #sequencer = new BookSequencer()
  /** Book channels waiting for the fresh snapshot that heals a gap. */
  readonly #resyncing = new Set<string>()

  constructor(options: NotificationRouterOptions) {
    this.#options = options
  }

  /** HOT PATH: one notification. */
  route(channel: string, data: unknown, label: string | undefined): void {
    if (channel.charCodeAt(0) === 98 /* b */ && isIncrementalBookChannel(channel)) {
      const book = data as BookChange
      const expected = this.#sequencer.last(channel)
      const verdict = this.#sequencer.check(channel, book)
      if (verdict === 'gap') {
        // One resync per gap: changes until the fresh snapshot are dropped, not reported again.
        if (!this.#resyncing.has(channel)) this.#gap(channel, book, expected)
        return
      }
      if (verdict === 'snapshot') this.#resyncing.delete(channel)
    } else if (channel.charCodeAt(0) === 117 /* u */) {
      this.#applyPrivate(channel, data)
    }
    this.#options.subscriptions.registry.dispatch(channel, data, label)
  }

  /** A new socket or session: every book starts from its next snapshot. */
  reset(): void {
    this.#resyncing.clear()
  }

  /** A channel left the wire: its chain starts over with the next snapshot. */
  forget(channel: string): void {
    this.#sequencer.reset(channel)
    this.#resyncing.delete(channel)
  }

  #applyPrivate(channel: string, data: unknown): void {
    const subject = this.#options.subject()
    const tracker = this.#options.tracker
    if (channel.startsWith('user.orders.')) {
      for (const order of Array.isArray(data) ? data : [data]) trackerInternals(tracker).apply(order as Order, subject)
    } else if (channel.startsWith('user.changes.')) {
      const orders = (data as { orders?: unknown }).orders
      if (Array.isArray(orders)) for (const order of orders) trackerInternals(tracker).apply(order as Order, subject)
    }
  }

  #gap(channel: string, data: BookChange, expected: number | undefined): void {
    this.#resyncing.add(channel)
    this.#sequencer.reset(channel)
    // Listeners first: one that closes the book removes it from the desired set, and the
    // manager then leaves it unsubscribed instead of asking for a snapshot nobody wants.
    this.#options.onGap({ channel, expectedPrevChangeId: expected, prevChangeId: data.prev_change_id })
    this.#options.subscriptions.resnapshot(channel)
  }
}
