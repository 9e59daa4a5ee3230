/**
 * One account's transaction log: every cash movement (trade, transfer, deposit, withdrawal)
 * with the balance after it, as `private/get_transaction_log` pages it. Bounded, like the
 * engine's order history: the oldest entries are forgotten first.
 */

/** How many entries an account keeps. */
const ENTRIES_KEPT = 10_000

/** One entry in Deribit's `transaction_log` shape (without the account-level fields). */
export interface LogEntry {
  readonly id: number
  readonly user_seq: number
  readonly timestamp: number
  readonly currency: string
  readonly type: string
  readonly [field: string]: unknown
}

/** Fields an entry gets from its cause; `change`, `cashflow`, `balance` and `commission` always. */
export interface LogFields {
  change: number
  cashflow: number
  balance: number
  commission: number
  [field: string]: unknown
}

export class TransactionLog {
  private readonly entries: LogEntry[] = []
  private seq = 1

  constructor(
    private readonly accountId: number,
    private readonly now: () => number,
    private readonly nextId: () => number,
  ) {}

  /** Appends an entry. */
  record(currency: string, type: string, fields: LogFields): void {
    this.entries.push({
      ...fields,
      id: this.nextId(),
      user_seq: this.seq++,
      user_id: this.accountId,
      timestamp: this.now(),
      currency,
      type,
    })
    if (this.entries.length > ENTRIES_KEPT * 2) this.entries.splice(0, this.entries.length - ENTRIES_KEPT)
  }

  /**
   * Entries of `currency` in `[start, end]` whose type contains `query` (when given), newest
   * first, starting below `continuation` (an entry id); at most `count`.
   */
  page(
    currency: string,
    start: number,
    end: number,
    count: number,
    query: string | undefined,
    continuation: number | undefined,
  ): { logs: LogEntry[]; continuation: number | null } {
    const chosen: LogEntry[] = []
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i] as LogEntry
      if (continuation !== undefined && e.id >= continuation) continue
      if (e.currency !== currency || e.timestamp < start || e.timestamp > end) continue
      if (query !== undefined && !matchesQuery(e, query)) continue
      if (chosen.length === count) return { logs: chosen, continuation: (chosen.at(-1) as LogEntry).id }
      chosen.push(e)
    }
    return { logs: chosen, continuation: null }
  }
}

/** Deribit's `query` filters by type or instrument; matching is case-insensitive. */
function matchesQuery(entry: LogEntry, query: string): boolean {
  const q = query.toLowerCase()
  return (
    entry.type.toLowerCase().includes(q) ||
    (typeof entry.instrument_name === 'string' && entry.instrument_name.toLowerCase().includes(q))
  )
}
