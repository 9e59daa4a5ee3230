/** One revocation as stores record it: who, when it was made and until when it holds (ms since epoch). */
export interface RevocationEvent {
  readonly sessionName: string
  readonly revokedAt: number
  readonly revokedUntil: number
}

interface Registration {
  readonly listener: (sessionName: string) => void
  /** Clock reading when the listener registered: catch-up deliveries older than this are history, not news. */
  readonly since: number
}

/** Deliveries remembered for deduplication are dropped once their revocation lapsed and this many piled up. */
const SEEN_PRUNE_AT = 256

/**
 * The `onRevoked` listeners of one store handle. The same revocation can reach a handle
 * several ways (its own `revoke`, pub/sub, a poll, a catch-up scan after a reconnect);
 * each is delivered once. Listeners run asynchronously and a throwing listener cannot
 * stop the others or escape into the store.
 */
export class RevocationListeners {
  readonly #now: () => number
  readonly #registrations = new Set<Registration>()
  /** `name@revokedAt` → revokedUntil. */
  readonly #seen = new Map<string, number>()

  constructor(now: () => number) {
    this.#now = now
  }

  get size(): number {
    return this.#registrations.size
  }

  /** Registers `listener`; returns its unsubscribe function (idempotent). */
  add(listener: (sessionName: string) => void): () => void {
    const registration: Registration = { listener, since: this.#now() }
    this.#registrations.add(registration)
    return () => {
      this.#registrations.delete(registration)
    }
  }

  /**
   * Delivers `event` unless it was delivered before. `live` events (just made, or just seen
   * to appear) reach every listener; catch-up events (found by scanning state) reach only
   * listeners registered no later than the revocation was made.
   */
  deliver(event: RevocationEvent, live: boolean): void {
    const key = `${event.sessionName}@${event.revokedAt}`
    if (this.#seen.has(key)) return
    const targets = [...this.#registrations].filter((r) => live || r.since <= event.revokedAt)
    if (targets.length === 0) return
    this.#seen.set(key, event.revokedUntil)
    this.#prune()
    queueMicrotask(() => {
      for (const { listener } of targets) {
        try {
          listener(event.sessionName)
        } catch {
          // A listener's failure is its own; the others must still hear of the revocation.
        }
      }
    })
  }

  /** Forgets every listener. */
  clear(): void {
    this.#registrations.clear()
    this.#seen.clear()
  }

  #prune(): void {
    if (this.#seen.size < SEEN_PRUNE_AT) return
    const now = this.#now()
    for (const [key, until] of this.#seen) if (until <= now) this.#seen.delete(key)
  }
}
