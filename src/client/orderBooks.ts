import type { BookChange } from '../protocol/types.js'
import type { CallOptions } from '../session/rpcCaller.js'
import { bookInternals, LocalOrderBook } from '../subscriptions/orderBook.js'
import type { Subscription } from '../subscriptions/subscription.js'
import type { TypedEmitter } from '../transport/typedEmitter.js'
import type { ClientEvents, GapEvent } from './events.js'

/** A local order book handed out by {@link DeribitClient.orderBook}; release it with `close()`. */
export type HeldOrderBook = LocalOrderBook & { close(): Promise<void> }

/** Book intervals Deribit publishes. */
export type BookInterval = 'raw' | '100ms' | 'agg2'

interface Entry {
  book: LocalOrderBook
  refs: number
  ready: Promise<Subscription>
}

/** Subscribes a book channel whose changes go to `apply`. */
export type BookSubscriber = (
  channel: `book.${string}.${BookInterval}`,
  apply: (data: unknown) => void,
  options: CallOptions,
) => Promise<Subscription>

/**
 * The order books the client hands out: one per channel, shared by every caller that asks for
 * it and unsubscribed when the last one releases it. A refused subscribe leaves no book behind,
 * so the next caller subscribes afresh; a gap resets the book until its new snapshot.
 */
export class OrderBooks {
  readonly #books = new Map<string, Entry>()
  readonly #events: TypedEmitter<ClientEvents>
  readonly #subscribe: BookSubscriber

  constructor(events: TypedEmitter<ClientEvents>, subscribe: BookSubscriber) {
    this.#events = events
    this.#subscribe = subscribe
  }

  /** The held book of `instrument` at `interval`, subscribed (or shared) and ready. */
  async hold(instrument: string, interval: BookInterval, options: CallOptions): Promise<HeldOrderBook> {
    const channel = `book.${instrument}.${interval}` as const
    let entry = this.#books.get(channel)
    if (!entry) {
      const book = new LocalOrderBook(instrument, interval)
      const feed = bookInternals(book)
      // What a book channel delivers is a book change (the payload of `book.*` in the spec).
      const created: Entry = {
        book,
        refs: 0,
        ready: this.#subscribe(channel, (data) => feed.apply(data as BookChange), options),
      }
      entry = created
      this.#books.set(channel, created)
      // A refused subscribe leaves no dead book behind: the next call subscribes afresh.
      created.ready.catch(() => {
        if (this.#books.get(channel) === created) this.#books.delete(channel)
      })
    }
    const held = entry
    const subscription = await held.ready
    held.refs++
    let released = false
    const close = async () => {
      if (released) return
      released = true
      held.refs--
      if (held.refs > 0) return
      if (this.#books.get(channel) === held) this.#books.delete(channel)
      await subscription.unsubscribe()
    }
    return Object.assign(held.book, { close })
  }

  /**
   * A gap: `gap` listeners see the book as it was at the gap; then it waits, stale, for the
   * fresh snapshot the resubscription brings.
   */
  gap(event: GapEvent): void {
    this.#events.emit('gap', event)
    const entry = this.#books.get(event.channel)
    if (entry) bookInternals(entry.book).reset()
  }
}
