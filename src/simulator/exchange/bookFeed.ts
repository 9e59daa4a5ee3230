/**
 * Publishes book changes: chains `change_id`s (sometimes stepping by 2, as Deribit does, so
 * clients compare with `prev_change_id` instead of counting), can deliberately lose one change
 * (a gap a client must detect), builds snapshots for new subscribers and publishes the grouped
 * books that someone asked a snapshot for.
 */
import type { EventSink } from '../contract.js'
import type { OrderBook } from './orderBook.js'
import type { Random } from './random.js'

/** A grouped book a subscriber asked for: bucket size (0 = none) and depth. */
interface GroupedView {
  readonly group: number
  readonly depth: number
  readonly channelBase: string
}

/** Share of changes whose `change_id` steps by 2 instead of 1. */
const DOUBLE_STEP_SHARE = 0.2

export class BookFeed {
  private readonly grouped = new Map<string, GroupedView[]>()

  constructor(
    private readonly sink: EventSink,
    private readonly random: Random,
    private readonly now: () => number,
  ) {}

  /** Publishes what changed in `book` since its last flush (nothing when nothing changed). */
  flush(book: OrderBook): void {
    if (!book.dirty) return
    const timestamp = this.now()
    const change = book.flush(timestamp, this.random.chance(DOUBLE_STEP_SHARE) ? 2 : 1)
    if (change === undefined) return
    this.sink.publish(`book.${book.instrumentName}`, change)
    const views = this.grouped.get(book.instrumentName)
    if (views !== undefined)
      for (const view of views) this.sink.publish(view.channelBase, this.groupedData(book, view, timestamp))
  }

  /** Advances the book's `change_id` without publishing: the next change's `prev_change_id` shows a gap. */
  skip(book: OrderBook): void {
    book.changeId += 1
  }

  /**
   * The grouped-book snapshot for `book.{instrument}.{group}.{depth}`; from now on every change of
   * that book also publishes this grouped view in full.
   */
  groupedSnapshot(book: OrderBook, groupName: string, group: number, depth: number): unknown {
    const channelBase = `book.${book.instrumentName}.${groupName}.${depth}`
    let views = this.grouped.get(book.instrumentName)
    if (views === undefined) {
      views = []
      this.grouped.set(book.instrumentName, views)
    }
    let view = views.find((v) => v.channelBase === channelBase)
    if (view === undefined) {
      view = { group, depth, channelBase }
      views.push(view)
    }
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
