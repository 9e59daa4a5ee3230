import { StoreError } from '../errors.js'
import {
  compareAndSet,
  isStoredSessionExpired,
  matchesFilter,
  type SessionFilter,
  type SessionStore,
  type StoredSession,
} from './sessionStore.js'

/**
 * The state behind one or more {@link MemorySessionStore} handles. Handles made on the same
 * backing behave like two processes sharing one file or Redis: same entries, same
 * revocations, and revocation events reach every handle.
 */
export class MemorySessionBacking {
  /** Entries by session id (`context.id`). */
  readonly sessions = new Map<string, StoredSession>()
  /** sessionName → revoked until (ms since epoch). */
  readonly revoked = new Map<string, number>()
  /** Revocation listeners of every open handle on this backing. */
  readonly listeners = new Set<(sessionName: string) => void>()
}

/** Options of {@link MemorySessionStore}. */
export interface MemorySessionStoreOptions {
  /** Clock for expiry and revocation TTLs. @default Date.now */
  now?: () => number
  /** Share state with other handles. @default a new, private backing */
  backing?: MemorySessionBacking
}

/**
 * In-process {@link SessionStore}: the reference for the contract tests, and a way to share
 * sessions between clients in one process (two handles on one backing act like two processes).
 *
 * @example
 * const backing = new MemorySessionBacking()
 * const credentials = { clientId, clientSecret }
 * const a = new DeribitClient({ url, credentials, sessionName: 'bot', store: new MemorySessionStore({ backing }) })
 * const b = new DeribitClient({ url, credentials, sessionName: 'bot', store: new MemorySessionStore({ backing }) })
 * // a and b resume the same session and never spend the same refresh token twice
 */
export class MemorySessionStore implements SessionStore {
  readonly #now: () => number
  readonly #backing: MemorySessionBacking
  readonly #ownListeners = new Set<(sessionName: string) => void>()
  #closed = false

  constructor(options: MemorySessionStoreOptions = {}) {
    this.#now = options.now ?? Date.now
    this.#backing = options.backing ?? new MemorySessionBacking()
  }

  async get(sessionId: string): Promise<StoredSession | undefined> {
    this.#assertOpen()
    return this.#live(sessionId)
  }

  async getAll(filter?: SessionFilter): Promise<StoredSession[]> {
    this.#assertOpen()
    const out: StoredSession[] = []
    for (const id of [...this.#backing.sessions.keys()]) {
      const session = this.#live(id)
      if (session !== undefined && matchesFilter(session, filter)) out.push(session)
    }
    return out
  }

  async upsert(session: StoredSession, expectedLockVersion: number | undefined): Promise<StoredSession> {
    this.#assertOpen()
    const id = session.context.id
    const stored = compareAndSet(session, this.#live(id), expectedLockVersion, (name) => this.#isRevoked(name))
    this.#backing.sessions.set(id, stored)
    return stored
  }

  async delete(sessionId: string): Promise<boolean> {
    this.#assertOpen()
    const existed = this.#live(sessionId) !== undefined
    this.#backing.sessions.delete(sessionId)
    return existed
  }

  async deleteAll(filter?: SessionFilter): Promise<number> {
    const matching = await this.getAll(filter)
    for (const session of matching) this.#backing.sessions.delete(session.context.id)
    return matching.length
  }

  async revoke(sessionName: string, ttlSec: number): Promise<void> {
    this.#assertOpen()
    this.#backing.revoked.set(sessionName, this.#now() + Math.max(0, ttlSec) * 1000)
    for (const [id, session] of this.#backing.sessions) {
      if (session.context.sessionName === sessionName) this.#backing.sessions.delete(id)
    }
    const listeners = [...this.#backing.listeners]
    // Listeners run after revoke() resolves, as they would for a remote store's pub/sub.
    queueMicrotask(() => {
      for (const listener of listeners) {
        try {
          listener(sessionName)
        } catch {
          // A listener's failure is its own; other handles must still hear of the revocation.
        }
      }
    })
  }

  async isRevoked(sessionName: string): Promise<boolean> {
    this.#assertOpen()
    return this.#isRevoked(sessionName)
  }

  onRevoked(listener: (sessionName: string) => void): () => void {
    this.#assertOpen()
    // Wrap so the same function registered twice (or on two handles) stays two registrations.
    const wrapped = (name: string): void => listener(name)
    this.#ownListeners.add(wrapped)
    this.#backing.listeners.add(wrapped)
    return () => {
      this.#ownListeners.delete(wrapped)
      this.#backing.listeners.delete(wrapped)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    for (const listener of this.#ownListeners) this.#backing.listeners.delete(listener)
    this.#ownListeners.clear()
  }

  /** The entry, unless it expired (then it is removed). */
  #live(sessionId: string): StoredSession | undefined {
    const session = this.#backing.sessions.get(sessionId)
    if (session === undefined) return undefined
    if (isStoredSessionExpired(session, this.#now())) {
      this.#backing.sessions.delete(sessionId)
      return undefined
    }
    return session
  }

  #isRevoked(sessionName: string): boolean {
    const until = this.#backing.revoked.get(sessionName)
    if (until === undefined) return false
    if (until <= this.#now()) {
      this.#backing.revoked.delete(sessionName)
      return false
    }
    return true
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('STORE_UNAVAILABLE', 'The session store is closed')
  }
}
