import type { Interval } from '../protocol/channels.js'
import type { BookChange, BookLevelChange } from '../protocol/types.js'
import { TypedEmitter } from '../session/typedEmitter.js'
import { EventSource } from '../transport/eventSource.js'
import { AsyncQueue, DEFAULT_MAX_BUFFERED } from './asyncQueue.js'
import type { BookCheck } from './bookSequencer.js'
import { type BookLevel, BookSide } from './bookSide.js'

/** One applied message, as events and iteration deliver it. */
export interface BookUpdate {
  /** The book after the message was applied. */
  book: LocalOrderBook
  /** The message as received; its level arrays are the changes, not the book. */
  change: BookChange
}

/** Events of {@link LocalOrderBook}. */
export interface LocalOrderBookEvents {
  /** A snapshot or change was applied. */
  update: [update: BookUpdate]
  /** A change did not follow the last one; the book is stale until the client resubscribes and a new snapshot arrives. */
  gap: [change: BookChange]
}

/**
 * What only the client may do to a {@link LocalOrderBook}: apply the channel's notifications and
 * empty it at a gap. Reached through {@link bookInternals}, which the package entry does not
 * export, so a user cannot apply a made-up change or wipe a live book.
 * @internal
 */
export interface LocalOrderBookInternals {
  /**
   * Applies one notification. A snapshot replaces the book; a change applies only if its
   * `prev_change_id` equals the book's `changeId`, otherwise it is a gap and the book stays as it was.
   */
  apply(data: BookChange): BookCheck
  /** Empties the book and waits for a snapshot. */
  reset(): void
}

let internalsOf: (book: LocalOrderBook) => LocalOrderBookInternals

/** The client's side of `book`: the package's own, never exported from its entry. @internal */
export function bookInternals(book: LocalOrderBook): LocalOrderBookInternals {
  return internalsOf(book)
}

/**
 * A local copy of `book.{instrument}.{interval}`, kept by the client: `client.orderBook()` feeds
 * it every notification and checks the `prev_change_id` chain. On a gap the book turns `stale`
 * (and emits `gap`) until the client has resubscribed and applied the new snapshot. Reads are
 * best-first. Only the client writes to it.
 *
 * @example
 * const book = await client.orderBook('BTC-PERPETUAL', { interval: '100ms' })
 * for await (const { book: b, change } of book) {
 *   console.log(change.change_id, b.bestBid(), b.bestAsk()) // levels are [price, amount]
 *   if (b.bids().length > 100) break
 * }
 * console.log(book.bids(10)) // top ten bids, highest first
 * await book.close()
 */
export class LocalOrderBook extends EventSource<LocalOrderBookEvents> {
  /** The instrument, e.g. `BTC-PERPETUAL`. */
  readonly instrument: string
  /** The channel's interval (`raw`, `100ms` or `agg2`). */
  readonly interval: Interval
  readonly #bids = new BookSide('bids')
  readonly #asks = new BookSide('asks')
  #changeId: number | undefined
  #timestamp: number | undefined
  #stale = true
  readonly #internals: LocalOrderBookInternals = {
    apply: (data) => this.#apply(data),
    reset: () => this.#reset(),
  }

  static {
    internalsOf = (book) => book.#internals
  }

  readonly #events: TypedEmitter<LocalOrderBookEvents>

  constructor(instrument: string, interval: Interval, options: { onListenerError?: (error: unknown) => void } = {}) {
    const events = new TypedEmitter<LocalOrderBookEvents>(options.onListenerError)
    super(events)
    this.#events = events
    this.instrument = instrument
    this.interval = interval
  }

  /** `change_id` of the last applied message. */
  get changeId(): number | undefined {
    return this.#changeId
  }

  /** Exchange timestamp (ms) of the last applied message. */
  get timestamp(): number | undefined {
    return this.#timestamp
  }

  /** True until a snapshot arrives, and again after a gap or reset. */
  get stale(): boolean {
    return this.#stale
  }

  #apply(data: BookChange): BookCheck {
    if (data.type === 'snapshot') {
      this.#bids.clear()
      this.#asks.clear()
    } else if (this.#stale || data.prev_change_id !== this.#changeId) {
      const firstGap = !this.#stale
      this.#stale = true
      if (firstGap) this.#events.emit('gap', data)
      return 'gap'
    }
    applyLevels(this.#bids, data.bids)
    applyLevels(this.#asks, data.asks)
    this.#changeId = data.change_id
    this.#timestamp = data.timestamp
    this.#stale = false
    // The update object is only built for someone to receive it: nothing per change otherwise.
    if (this.listenerCount('update') > 0) this.#events.emit('update', { book: this, change: data })
    return data.type === 'snapshot' ? 'snapshot' : 'ok'
  }

  #reset(): void {
    this.#bids.clear()
    this.#asks.clear()
    this.#changeId = undefined
    this.#timestamp = undefined
    this.#stale = true
  }

  /** The highest bid, or undefined when there are no bids. */
  bestBid(): BookLevel | undefined {
    return this.#bids.best()
  }

  /** The lowest ask, or undefined when there are no asks. */
  bestAsk(): BookLevel | undefined {
    return this.#asks.best()
  }

  /** Bids, highest first. */
  bids(depth?: number): BookLevel[] {
    return this.#bids.levels(depth)
  }

  /** Asks, lowest first. */
  asks(depth?: number): BookLevel[] {
    return this.#asks.levels(depth)
  }

  /**
   * Iterates updates from now on. Ending the loop removes the listener; a consumer more than
   * `maxBuffered` updates behind gets `SubscriptionOverflowError`.
   */
  updates(options: { maxBuffered?: number } = {}): AsyncIterableIterator<BookUpdate> {
    let off: () => void = () => {}
    const queue = new AsyncQueue<BookUpdate>({
      maxBuffered: options.maxBuffered ?? DEFAULT_MAX_BUFFERED,
      onOverflow: () => off(),
      onReturn: () => off(),
    })
    off = this.on('update', (update) => queue.push(update))
    return queue
  }

  /** Same as {@link updates} with the default buffer: `for await (const update of book)`. */
  [Symbol.asyncIterator](): AsyncIterableIterator<BookUpdate> {
    return this.updates()
  }
}

function applyLevels(side: BookSide, levels: readonly BookLevelChange[]): void {
  for (const [action, price, amount] of levels) {
    if (action === 'delete') side.delete(price)
    else side.set(price, amount)
  }
}
