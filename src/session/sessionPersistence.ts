import { RevokedError, StoreError } from '../errors.js'
import type { Logger } from '../transport/logger.js'
import { isSessionScoped, type SessionContext, withChanges } from './sessionContext.js'
import { type SessionStore, toStoredSession } from './sessionStore.js'

/** How long a process waits for another process that claimed a refresh to publish its tokens. */
export const DEFAULT_CLAIM_WAIT_MS = 5000
const CLAIM_POLL_MS = 50

/** The outcome of {@link SessionPersistence.spendRefreshToken}. */
export interface SpendResult {
  /** The context to go on with: the one this process made, or the winner's. */
  context: SessionContext
  /** True when this process spent the refresh token; false when it adopted another process's tokens. */
  spent: boolean
}

/** What the client needs to persist its sessions. */
export interface SessionPersistenceOptions {
  store: SessionStore | undefined
  clientId: string | undefined
  logger: Logger
  /** Save every transition. @default true */
  autoSave: boolean
  /** @default DEFAULT_CLAIM_WAIT_MS */
  claimWaitMs?: number
}

/**
 * The client's side of a session store: resume on connect, save after every transition, and
 * spend a refresh token only after winning a compare-and-set on the session's `lockVersion`,
 * so that processes sharing a session never spend the same refresh token twice. Only
 * session-scoped contexts are ever stored (connection-scoped tokens die with their socket).
 */
export class SessionPersistence {
  readonly #store: SessionStore | undefined
  readonly #clientId: string | undefined
  readonly #logger: Logger
  readonly #autoSave: boolean
  readonly #claimWaitMs: number
  #lastCallAt: number | undefined

  constructor(options: SessionPersistenceOptions) {
    this.#store = options.store
    this.#clientId = options.clientId
    this.#logger = options.logger
    this.#autoSave = options.autoSave
    this.#claimWaitMs = options.claimWaitMs ?? DEFAULT_CLAIM_WAIT_MS
  }

  /** True when there is a store and credentials to key it by. */
  get enabled(): boolean {
    return this.#store !== undefined && this.#clientId !== undefined
  }

  /** Records that a call was made (kept in memory; written with the next save). */
  touch(now: number): void {
    this.#lastCallAt = now
  }

  /** When the last call was made, if any. */
  get lastCallAt(): number | undefined {
    return this.#lastCallAt
  }

  /**
   * The newest live stored session of this key and name. A revoked name resumes nothing and
   * throws {@link RevokedError}: the operator wants that session dead everywhere.
   */
  async resume(sessionName: string): Promise<SessionContext | undefined> {
    const store = this.#store
    if (!store || this.#clientId === undefined) return undefined
    if (await store.isRevoked(sessionName)) throw new RevokedError(`Session ${sessionName} is revoked in the store`)
    const stored = await store.getAll({ clientId: this.#clientId, sessionName, active: true })
    stored.sort((a, b) => b.context.createdAt - a.context.createdAt)
    return stored[0]?.context
  }

  /** True when the store says the name is revoked (false without a store or when it cannot tell). */
  async isRevoked(sessionName: string | undefined): Promise<boolean> {
    if (!this.#store || sessionName === undefined) return false
    try {
      return await this.#store.isRevoked(sessionName)
    } catch (error) {
      this.#logger.warn({ error: String(error) }, 'session store could not say whether the session is revoked')
      return false
    }
  }

  /** Calls `listener` when an operator revokes a session name; returns the unsubscribe. */
  watchRevocations(listener: (sessionName: string) => void): () => void {
    return this.#store?.onRevoked?.(listener) ?? (() => {})
  }

  /**
   * Saves a context after a transition (when autoSave is on and it is session-scoped).
   * Resolves with the context carrying the stored `lockVersion`; a failed save is logged and
   * the client goes on with its tokens in memory. A revocation propagates.
   */
  async save(context: SessionContext, force = false): Promise<SessionContext> {
    const store = this.#store
    if (!store || this.#clientId === undefined || !isSessionScoped(context)) return context
    if (!this.#autoSave && !force) return context
    try {
      const saved = await store.upsert(this.#record(context), expectedVersion(context))
      return saved.context
    } catch (error) {
      if (error instanceof RevokedError) throw error
      if (error instanceof StoreError && error.code === 'STORE_CONFLICT') {
        // Someone else wrote this session meanwhile; theirs is as good as ours for the next claim.
        const current = await store.get(context.id).catch(() => undefined)
        return current?.context ?? context
      }
      this.#logger.warn({ error: String(error) }, 'could not save the session; going on with the tokens in memory')
      return context
    }
  }

  /**
   * Spends `context`'s refresh token through `spend` only if this process wins the claim (a
   * compare-and-set from the known lockVersion to the next). A loser waits for the winner's
   * tokens and adopts them instead of spending the same token again.
   */
  async spendRefreshToken(
    context: SessionContext,
    spend: (context: SessionContext) => Promise<SessionContext>,
  ): Promise<SpendResult> {
    const store = this.#store
    if (!store || this.#clientId === undefined || !isSessionScoped(context)) {
      return { context: await spend(context), spent: true }
    }
    let claimFrom = context
    const deadline = Date.now() + this.#claimWaitMs
    for (;;) {
      let claimed: SessionContext
      try {
        const claim = this.#record(claimFrom, Date.now())
        claimed = (await store.upsert(claim, expectedVersion(claimFrom))).context
      } catch (error) {
        if (error instanceof RevokedError) throw error
        if (!(error instanceof StoreError) || error.code !== 'STORE_CONFLICT') {
          // No store to coordinate with: behave as a single process rather than stop trading.
          this.#logger.warn(
            { error: String(error) },
            'session store unavailable for the refresh claim; refreshing alone',
          )
          return { context: await spend(claimFrom), spent: true }
        }
        const current = await store.get(context.id)
        if (current === undefined) {
          claimFrom = withoutVersion(claimFrom)
          continue
        }
        const claimedAt = current.metadata.refreshClaimedAt
        const claimLive = claimedAt !== undefined && Date.now() - claimedAt < this.#claimWaitMs
        if (!claimLive && current.context.refreshToken !== context.refreshToken) {
          this.#logger.info({}, 'another process refreshed this session first; adopting its tokens')
          return { context: current.context, spent: false }
        }
        if (!claimLive) {
          // Not claimed, same tokens: our version was just stale. Claim from the current one.
          claimFrom = current.context
          continue
        }
        if (Date.now() > deadline) {
          // The claimer went quiet (crashed?): take the claim over from the version it left.
          this.#logger.warn({}, 'a refresh claim was never completed; taking it over')
          claimFrom = current.context
          continue
        }
        await new Promise((resolve) => setTimeout(resolve, CLAIM_POLL_MS))
        continue
      }
      const spent = await spend(claimed)
      return { context: await this.#publishSpent(spent), spent: true }
    }
  }

  /**
   * Stores the tokens this process just got for a refresh token it spent. They are the only
   * live ones (the exchange grants each refresh token once), so a version written meanwhile
   * (a claim taken over by a process that thought us gone) is overwritten, never adopted:
   * adopting it would put the spent token back in use here and keep it in the store.
   */
  async #publishSpent(spent: SessionContext): Promise<SessionContext> {
    const store = this.#store as SessionStore
    let expected = spent
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const saved = await store.upsert(this.#record(rebase(spent, expected)), expectedVersion(expected))
        return saved.context
      } catch (error) {
        if (error instanceof RevokedError) throw error
        if (!(error instanceof StoreError) || error.code !== 'STORE_CONFLICT') {
          this.#logger.warn({ error: String(error) }, 'could not save the session; going on with the tokens in memory')
          return spent
        }
        const current = await store.get(spent.id).catch(() => undefined)
        expected = current?.context ?? withoutVersion(spent)
      }
    }
    this.#logger.warn({}, 'the stored session kept changing; going on with the fresh tokens in memory')
    return spent
  }

  /**
   * Marks a stored session inactive (another one became active), so a restart resumes the
   * session the client was on. Retries a lost compare-and-set against the current version.
   */
  async markInactive(context: SessionContext): Promise<void> {
    const store = this.#store
    if (!store || this.#clientId === undefined || !isSessionScoped(context)) return
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await store.get(context.id)
      if (current === undefined || !current.context.active) return
      try {
        await store.upsert(
          this.#record(withChanges(current.context, { active: false })),
          expectedVersion(current.context),
        )
        return
      } catch (error) {
        if (error instanceof StoreError && error.code === 'STORE_CONFLICT') continue
        throw error
      }
    }
  }

  /** Deletes a stored session (after logout). */
  async forget(context: SessionContext): Promise<void> {
    await this.#store?.delete(context.id).catch(() => false)
  }

  #record(context: SessionContext, refreshClaimedAt?: number) {
    return toStoredSession(context, {
      clientId: this.#clientId as string,
      lastCallAt: this.#lastCallAt,
      lastRefreshedAt: context.lastRefreshedAt,
      refreshClaimedAt,
    })
  }
}

/** A context never stored has lockVersion 0: "must not exist yet". */
function expectedVersion(context: SessionContext): number | undefined {
  return context.lockVersion > 0 ? context.lockVersion : undefined
}

/** `ours` at the version `stored` holds, so a compare-and-set from there replaces it. */
function rebase(ours: SessionContext, stored: SessionContext): SessionContext {
  return withChanges(ours, { lockVersion: stored.lockVersion })
}

/** The same context as if never stored: the next claim creates the record afresh. */
function withoutVersion(context: SessionContext): SessionContext {
  return withChanges(context, { lockVersion: 0 })
}
