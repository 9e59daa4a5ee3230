import { DeribitError, RevokedError, StoreError } from '../errors.js'
import { isSessionScoped, type SessionContext, withChanges } from './sessionContext.js'

/** Facts about a stored session a store can filter on without decoding tokens. */
export interface SessionMetadata {
  /** API key the session belongs to. */
  readonly clientId: string
  /** When the session was first obtained (ms since epoch); taken from `context.createdAt`. */
  readonly createdAt: number
  /** When its tokens were last refreshed (ms since epoch); undefined if never refreshed. */
  readonly lastRefreshedAt: number | undefined
  /** Last time the owner made a call with this session (ms since epoch). */
  readonly lastCallAt?: number | undefined
  /** Stores overwrite this with `context.subjectId`. */
  readonly subjectId: number | undefined
  /** Stores overwrite this with `context.sessionName` (always set on a stored entry). */
  readonly sessionName: string | undefined
  /**
   * After this instant (ms since epoch) the refresh token is assumed dead and the entry is
   * dropped. Undefined: no known limit (Deribit does not publish a refresh-token lifetime).
   */
  readonly refreshExpiresAt?: number | undefined
  /**
   * Set while a process holds the claim to spend this session's refresh token (ms since epoch);
   * cleared by the save that completes the refresh. Others wait rather than adopt tokens that are
   * about to be spent.
   */
  readonly refreshClaimedAt?: number | undefined
}

/**
 * A session-scoped session as a store keeps it. The tokens live only in `context`
 * (non-enumerable there), so logging a `StoredSession` never shows them; a store that
 * persists it must write them out explicitly (and should encrypt them at rest).
 */
export interface StoredSession {
  /** The session itself, tokens included (non-enumerable); `context.id` is the store key. */
  readonly context: SessionContext
  /** Facts to filter on, derived from the context by the store. */
  readonly metadata: SessionMetadata
}

/** What {@link SessionStore.getAll} and {@link SessionStore.deleteAll} match on; omitted fields match anything. */
export interface SessionFilter {
  /** Only sessions of this API key. */
  clientId?: string
  /** Only sessions acting for this subaccount id. */
  subjectId?: number
  /** Only sessions with this `session:NAME`. */
  sessionName?: string
  /** Only sessions the client is (true) or is no longer (false) using. */
  active?: boolean
}

/**
 * Where session-scoped sessions outlive a process, shared by every process using the same
 * API key. Implementations (memory, file, Redis) must pass `describeSessionStoreContract`.
 *
 * - Optimistic concurrency: `upsert(s, v)` succeeds only if the stored lockVersion is `v`
 *   (`undefined` = no live entry may exist) and stores `lockVersion = (v ?? 0) + 1`; otherwise
 *   it throws `StoreError('STORE_CONFLICT')`.
 * - Only session-scoped contexts are stored: `upsert` of a connection-scoped one throws
 *   `DeribitError('INVALID_ARGUMENT')` (its tokens die with the connection).
 * - Expired entries (`refreshExpiresAt <= now`) are never returned and are removed when seen.
 * - `revoke(name, ttlSec)` deletes every entry with that session name and, for `ttlSec`,
 *   refuses to store it again (`RevokedError`) so a racing refresh cannot resurrect it.
 * - After `close()` every call rejects with `StoreError('STORE_UNAVAILABLE')`.
 */
export interface SessionStore {
  /** The live entry with this session id (`context.id`), or undefined if none or expired. */
  get(sessionId: string): Promise<StoredSession | undefined>
  /** Every live entry matching `filter` (all of them without one). */
  getAll(filter?: SessionFilter): Promise<StoredSession[]>
  /**
   * Stores `session` if the stored `lockVersion` equals `expectedLockVersion` (`undefined`: no live
   * entry may exist) and returns it with the next `lockVersion`. Throws `STORE_CONFLICT` on a stale
   * version, {@link RevokedError} for a revoked name, `INVALID_ARGUMENT` for a connection-scoped context.
   */
  upsert(session: StoredSession, expectedLockVersion: number | undefined): Promise<StoredSession>
  /** Removes one entry; resolves true if a live entry was there. */
  delete(sessionId: string): Promise<boolean>
  /** Removes every live entry matching `filter` (all without one); resolves how many. */
  deleteAll(filter?: SessionFilter): Promise<number>
  /**
   * Deletes every entry named `sessionName` and refuses to store that name again for `ttlSec`
   * seconds, so a racing refresh cannot bring it back. Other handles hear of it via `onRevoked`.
   */
  revoke(sessionName: string, ttlSec: number): Promise<void>
  /** True while `sessionName` is within a {@link SessionStore.revoke} TTL. */
  isRevoked(sessionName: string): Promise<boolean>
  /** Called (asynchronously) when any handle onto the same store revokes a name. Returns an unsubscribe function. */
  onRevoked?(listener: (sessionName: string) => void): () => void
  /** Releases this handle's resources; every later call rejects with `STORE_UNAVAILABLE`. Idempotent. */
  close(): Promise<void>
}

/** Extra metadata for {@link toStoredSession}. */
export interface StoredSessionInput {
  clientId: string
  lastCallAt?: number | undefined
  refreshExpiresAt?: number | undefined
  /** @default context.lastRefreshedAt */
  lastRefreshedAt?: number | undefined
  /** Marks the record as claimed for a refresh (see {@link SessionMetadata.refreshClaimedAt}). */
  refreshClaimedAt?: number | undefined
}

/**
 * Wraps a session-scoped context for a store, deriving `createdAt`, `subjectId` and
 * `sessionName` from the context. Throws INVALID_ARGUMENT for a connection-scoped one.
 */
export function toStoredSession(context: SessionContext, input: StoredSessionInput): StoredSession {
  const sessionName = context.sessionName
  if (sessionName === undefined || !isSessionScoped(context)) {
    throw new DeribitError('INVALID_ARGUMENT', 'Only session-scoped sessions can be stored')
  }
  const metadata: SessionMetadata = Object.freeze({
    clientId: input.clientId,
    createdAt: context.createdAt,
    lastRefreshedAt: input.lastRefreshedAt ?? context.lastRefreshedAt,
    lastCallAt: input.lastCallAt,
    subjectId: context.subjectId,
    sessionName,
    refreshExpiresAt: input.refreshExpiresAt,
    refreshClaimedAt: input.refreshClaimedAt,
  })
  return Object.freeze({ context, metadata })
}

/** True when `session` matches every field set in `filter`. */
export function matchesFilter(session: StoredSession, filter: SessionFilter = {}): boolean {
  const { metadata, context } = session
  if (filter.clientId !== undefined && metadata.clientId !== filter.clientId) return false
  if (filter.subjectId !== undefined && context.subjectId !== filter.subjectId) return false
  if (filter.sessionName !== undefined && context.sessionName !== filter.sessionName) return false
  if (filter.active !== undefined && context.active !== filter.active) return false
  return true
}

/** True when the entry's refresh token is past its known lifetime. */
export function isStoredSessionExpired(session: StoredSession, now: number): boolean {
  const until = session.metadata.refreshExpiresAt
  return until !== undefined && until <= now
}

/**
 * The compare-and-set every store performs, on whatever it holds: refuses a revoked name
 * ({@link RevokedError}) and a stale version (`STORE_CONFLICT`), and returns the record to write,
 * carrying the next `lockVersion`. The metadata is re-derived from the context so a hand-built
 * entry cannot disagree with it.
 */
export function compareAndSet(
  session: StoredSession,
  current: StoredSession | undefined,
  expectedLockVersion: number | undefined,
  isRevoked: (sessionName: string) => boolean,
): StoredSession {
  const checked = toStoredSession(session.context, session.metadata)
  const name = checked.context.sessionName as string
  if (isRevoked(name)) throw new RevokedError(`Session ${name} is revoked`)
  const id = checked.context.id
  const currentVersion = current?.context.lockVersion
  if (currentVersion !== expectedLockVersion) {
    throw new StoreError(
      'STORE_CONFLICT',
      `Session ${id} was changed elsewhere (expected version ${expectedLockVersion ?? 'none'}, found ${currentVersion ?? 'none'})`,
    )
  }
  const context = withChanges(checked.context, { lockVersion: (expectedLockVersion ?? 0) + 1 })
  return toStoredSession(context, checked.metadata)
}
