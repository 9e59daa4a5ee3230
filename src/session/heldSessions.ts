import type { Logger } from '../transport/logger.js'
import { RefreshScheduler } from './refreshScheduler.js'
import { isSessionScoped, type SessionContext } from './sessionContext.js'

/** What {@link DeribitClient.heldSessions} reports about one session. */
export interface HeldSessionInfo {
  /** The session's id (`SessionContext.id`), to pass to `switchSession` or `endSession`. */
  id: SessionContext['id']
  /** The subaccount it acts for; undefined for the key's own account. */
  subjectId: SessionContext['subjectId']
  /** NAME of its `session:NAME` scope. */
  sessionName: SessionContext['sessionName']
  /** The transition that produced its current tokens. */
  transition: SessionContext['transition']
  /** When its access token expires (ms since epoch). */
  expiresAt: SessionContext['expiresAt']
  /** Last time it was the active session (or was created), ms since epoch. */
  lastUsedAt: number
  /** True for the client's active session. */
  active: boolean
  /** When it was ended with `endSession` or `logout`; only on ended records. */
  endedAt?: number
}

/** Options of {@link HeldSessions}. */
export interface HeldSessionsOptions {
  /** Held sessions unused for longer are left to expire instead of being refreshed. */
  idleLimitMs: number
  refreshBeforeMs: number
  /** Refreshes a held (not active) session without touching the main connection. */
  refresh: (context: SessionContext) => Promise<SessionContext>
  logger: Logger
}

interface Held {
  context: SessionContext
  lastUsedAt: number
  timer: RefreshScheduler | undefined
}

/** How many ended sessions are remembered (history, newest kept). */
const MAX_ENDED = 256

/**
 * Most sessions held at once. Deribit keeps at most 16 sessions per API key (a 17th evicts the
 * oldest), so holding more can never be useful; without a bound every exchange or fork added one
 * more session and one more refresh timer, forever.
 */
export const MAX_HELD_SESSIONS = 16

/**
 * The session-scoped sessions a client holds besides the active one (from earlier exchanges
 * and forks), so that `switchSession` can reactivate one without a new token operation. Held
 * sessions are refreshed before expiry while they were used within the idle limit; ended ones
 * are kept as records.
 */
export class HeldSessions {
  readonly #options: HeldSessionsOptions
  readonly #held = new Map<string, Held>()
  readonly #ended: HeldSessionInfo[] = []
  /** Background refreshes in flight, by session id: a switch waits for one instead of spending the same token. */
  readonly #refreshing = new Map<string, Promise<SessionContext>>()
  #activeId: string | undefined
  #closed = false

  constructor(options: HeldSessionsOptions) {
    this.#options = options
  }

  /** Records the active session (session-scoped ones only: connection tokens die with their socket). */
  activate(context: SessionContext, now: number): void {
    // A refresh keeps the id: the active session stays active and needs no held timer.
    const previous =
      this.#activeId !== undefined && this.#activeId !== context.id ? this.#held.get(this.#activeId) : undefined
    if (previous) {
      previous.lastUsedAt = now
      this.#arm(previous)
    }
    this.#activeId = context.id
    if (!isSessionScoped(context)) return
    const entry = this.#held.get(context.id) ?? { context, lastUsedAt: now, timer: undefined }
    entry.context = context
    entry.lastUsedAt = now
    entry.timer?.cancel()
    entry.timer = undefined // the client's own scheduler refreshes the active session
    this.#held.set(context.id, entry)
    this.#evictBeyondLimit(now)
  }

  /** Ends the least recently used held sessions (never the active one) beyond {@link MAX_HELD_SESSIONS}. */
  #evictBeyondLimit(now: number): void {
    if (this.#held.size <= MAX_HELD_SESSIONS) return
    const idle = [...this.#held.values()]
      .filter((entry) => entry.context.id !== this.#activeId)
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt)
    for (const entry of idle.slice(0, this.#held.size - MAX_HELD_SESSIONS)) {
      this.#options.logger.info(
        { session: entry.context.id },
        'holding too many sessions; letting the least recently used expire',
      )
      this.end(entry.context.id, now)
    }
  }

  /** A held session by id. */
  get(id: string): SessionContext | undefined {
    return this.#held.get(id)?.context
  }

  /**
   * A held session with its newest tokens, for a switch to it: a background refresh in flight
   * is waited for (a refresh token is spent once), and no new one starts.
   */
  async take(id: string): Promise<SessionContext | undefined> {
    const pending = this.#refreshing.get(id)
    if (pending !== undefined) await pending.catch(() => undefined)
    const entry = this.#held.get(id)
    entry?.timer?.cancel()
    if (entry) entry.timer = undefined
    return entry?.context
  }

  /** Marks a session ended (it stays listed as a record). */
  end(id: string, now: number): SessionContext | undefined {
    const entry = this.#held.get(id)
    if (!entry) return undefined
    entry.timer?.cancel()
    this.#held.delete(id)
    if (this.#activeId === id) this.#activeId = undefined
    this.#ended.unshift({ ...info(entry, false), endedAt: now })
    if (this.#ended.length > MAX_ENDED) this.#ended.length = MAX_ENDED
    return entry.context
  }

  /** Live sessions, the active one first; with `includeEnded`, ended records after them. */
  list(includeEnded = false): HeldSessionInfo[] {
    const live = [...this.#held.values()].map((entry) => info(entry, entry.context.id === this.#activeId))
    live.sort((a, b) => Number(b.active) - Number(a.active) || b.lastUsedAt - a.lastUsedAt)
    return includeEnded ? [...live, ...this.#ended] : live
  }

  /** Cancels every timer (on close); refreshes still in flight arm nothing afterwards. */
  close(): void {
    this.#closed = true
    for (const entry of this.#held.values()) entry.timer?.cancel()
  }

  #arm(entry: Held): void {
    entry.timer?.cancel()
    if (this.#closed) return
    const timer = new RefreshScheduler({
      refreshBeforeMs: this.#options.refreshBeforeMs,
      onDue: () => void this.#due(entry),
    })
    entry.timer = timer
    timer.schedule(entry.context)
  }

  async #due(entry: Held): Promise<void> {
    if (this.#closed || entry.context.id === this.#activeId || !this.#held.has(entry.context.id)) return
    if (Date.now() - entry.lastUsedAt > this.#options.idleLimitMs) {
      // Idle too long: let it expire rather than keep spending refresh tokens on it.
      this.#options.logger.info({ session: entry.context.id }, 'held session idle past its limit; letting it expire')
      this.end(entry.context.id, Date.now())
      return
    }
    const id = entry.context.id
    const refreshing = this.#options.refresh(entry.context)
    this.#refreshing.set(id, refreshing)
    try {
      entry.context = await refreshing
      if (this.#held.get(id) === entry && id !== this.#activeId) this.#arm(entry)
    } catch (error) {
      this.#options.logger.warn(
        { session: entry.context.id, error: String(error) },
        'could not refresh a held session; it will expire',
      )
    } finally {
      this.#refreshing.delete(id)
    }
  }
}

function info(entry: Held, active: boolean): HeldSessionInfo {
  const c = entry.context
  return {
    id: c.id,
    subjectId: c.subjectId,
    sessionName: c.sessionName,
    transition: c.transition,
    expiresAt: c.expiresAt,
    lastUsedAt: entry.lastUsedAt,
    active,
  }
}
