import type { BookChange } from '../protocol/types.js'

/** Verdict on one incremental book message. */
export type BookCheck = 'snapshot' | 'ok' | 'gap'

/**
 * Detects missed messages on `book.{instrument}.{interval}` channels. A change follows the
 * previous message exactly when its `prev_change_id` equals the last `change_id`
 * (equality: ids need not go up by one). After a gap every change is
 * a gap until the next snapshot, which the owner gets by resubscribing.
 */
export class BookSequencer {
  readonly #last = new Map<string, number>()

  check(channel: string, data: Pick<BookChange, 'type' | 'change_id' | 'prev_change_id'>): BookCheck {
    if (data.type === 'snapshot') {
      this.#last.set(channel, data.change_id)
      return 'snapshot'
    }
    const last = this.#last.get(channel)
    if (last === undefined || data.prev_change_id !== last) {
      this.#last.delete(channel)
      return 'gap'
    }
    this.#last.set(channel, data.change_id)
    return 'ok'
  }

  /** The last accepted `change_id` of `channel`. */
  lastChangeId(channel: string): number | undefined {
    return this.#last.get(channel)
  }

  /** Alias of {@link lastChangeId}. */
  last(channel: string): number | undefined {
    return this.#last.get(channel)
  }

  /** Forgets `channel` (resubscribed, reconnected, or unsubscribed); omit to forget all. */
  reset(channel?: string): void {
    if (channel === undefined) this.#last.clear()
    else this.#last.delete(channel)
  }
}
