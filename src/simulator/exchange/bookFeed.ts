/**
 * Publishes book changes: chains `change_id`s (sometimes stepping by 2, as Deribit does, so
 * clients compare with `prev_change_id` instead of counting), can deliberately lose one change
 * (a gap a client must detect), and publishes the grouped books (`book.{instrument}.{group}.{depth}`)
 * as full snapshots, at most once per {@link GROUPED_PERIOD_MS} per book as Deribit does per interval.
 */
import type { EventSink } from '../contract.js'
import type { GroupedView } from './channels.js'
import type { OrderBook } from './orderBook.js'
import type { Random } from './random.js'

/** Shortest time between two grouped-book publications of one book (the 100ms interval). */
export const GROUPED_PERIOD_MS = 100

/** Share of changes whose `change_id` steps by 2 instead of 1. */
const DOUBLE_STEP_SHARE = 0.2

export class BookFeed {
  private readonly lastGroupedMs = new Map<string, number>()

  constructor(
    private readonly sink: EventSink,
    private readonly random: Random,
    private readonly now: () => number,
    private readonly views: (instrumentName: string) => readonly GroupedView[],
  ) {}

  /** Publishes what changed in `book` since its last flush (nothing when nothing changed). */
  flush(book: OrderBook): void {
    if (!book.dirty) return
    const timestamp = this.now()
    const change = book.flush(timestamp, this.random.chance(DOUBLE_STEP_SHARE) ? 2 : 1)
    if (change === undefined) return
    this.sink.publish(`book.${book.instrumentName}`, change)
    const last = this.lastGroupedMs.get(book.instrumentName)
    if (last !== undefined && timestamp - last < GROUPED_PERIOD_MS) return
    this.lastGroupedMs.set(book.instrumentName, timestamp)
    for (const view of this.views(book.instrumentName))
      this.sink.publish(view.channelBase, this.groupedData(book, view, timestamp))
  }

  /** Advances the book's `change_id` without publishing: the next change's `prev_change_id` shows a gap. */
  skip(book: OrderBook): void {
    book.changeId += 1
  }

  /** The current grouped view of a book, as `book.{instrument}.{group}.{depth}.{interval}` carries it. */
  groupedSnapshot(book: OrderBook, view: GroupedView): unknown {
    return this.groupedData(book, view, this.now())
  }

  private groupedData(book: OrderBook, view: GroupedView, timestamp: number): unknown {
    return {
      timestamp,
      instrument_name: book.instrumentName,
      change_id: book.changeId,
      bids: view.group === 0 ? book.top('buy', view.depth) : book.grouped('buy', view.group, view.depth),
      asks: view.group === 0 ? book.top('sell', view.depth) : book.grouped('sell', view.group, view.depth),
    }
  }
}
