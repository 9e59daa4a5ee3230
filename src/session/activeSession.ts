import { RevokedError } from '../errors.js'
import type { HeldSessions } from './heldSessions.js'
import type { RefreshScheduler } from './refreshScheduler.js'
import { type SessionContext, withChanges } from './sessionContext.js'
import type { SessionPersistence } from './sessionPersistence.js'

/** What the active session keeps in step with each commit. */
export interface ActiveSessionOptions {
  persistence: SessionPersistence
  held: HeldSessions
  /** The active session's refresh timer. */
  scheduler: RefreshScheduler
  /** True once the client closed: a late commit arms nothing. */
  isEnded: () => boolean
  /** The store says the session was revoked. */
  onRevoked: (sessionName: string) => void
}

/** The identity key of a connection that is not signed in. */
export const PUBLIC_IDENTITY = 'public'

/** Longest chain kept (history only; the active context is always first). */
const MAX_CHAIN = 64

/**
 * The active session and the chain of contexts before it, newest first, linked by `prevId`.
 * It knows whether the connection is signed in, and the identity key that private channels,
 * orders and operations are filed under: the subject (the (sub)account), since orders and
 * private channels belong to an account.
 */
export class ActiveSession {
  readonly #options: ActiveSessionOptions
  #chain: SessionContext[] = []
  #signedIn = false
  /** Store writes, one after the other: a save and the "inactive" mark that follows it never cross. */
  #storeTail: Promise<void> = Promise.resolve()

  constructor(options: ActiveSessionOptions) {
    this.#options = options
  }

  /** The active context, or undefined before the first sign-in (or for a public-only client). */
  get current(): SessionContext | undefined {
    return this.#chain[0]
  }

  /** Every context, newest first. */
  get chain(): readonly SessionContext[] {
    return this.#chain
  }

  /** The (sub)account of the active context. */
  get subjectId(): number | undefined {
    return this.#chain[0]?.subjectId
  }

  /** True while the connection is signed in as the active context. */
  get signedIn(): boolean {
    return this.#signedIn
  }

  set signedIn(value: boolean) {
    this.#signedIn = value
  }

  /** The key private channels and operations are filed under. */
  identityKey(): string {
    return this.#signedIn ? identityOf(this.subjectId) : PUBLIC_IDENTITY
  }

  /** Starts from a stored context (resume). */
  resume(context: SessionContext): void {
    this.#chain = [context]
  }

  /** Makes `context` the active one; the one before stays in the chain, inactive. */
  activate(context: SessionContext): void {
    const previous = this.#chain[0]
    if (previous === context) return
    if (previous?.active) this.#chain[0] = withChanges(previous, { active: false })
    this.#chain.unshift(context)
    if (this.#chain.length > MAX_CHAIN) this.#chain.length = MAX_CHAIN
  }

  /**
   * The commit's second half, after the requests it depends on are written: the refresh timer,
   * the held sessions, and the store, which learns that this session is the active one and the
   * one left behind is not (so a restart resumes the session the bot was on).
   */
  keep(context: SessionContext): void {
    const { persistence, held, scheduler, isEnded } = this.#options
    if (isEnded()) return
    scheduler.schedule(context)
    held.activate(context, Date.now())
    const left = this.#chain.find((c) => c.id !== context.id)
    const leaving = left !== undefined && this.#chain[0] === context && context.transition !== 'refresh'
    const savedByClaim = context.lockVersion > 0 && context.lastRefreshedAt !== undefined
    this.#store(async () => {
      if (!savedByClaim) this.replaceCurrent(await persistence.save(context))
      if (leaving) await persistence.markInactive(left)
    }, context.sessionName)
  }

  /** Resolves when every store write asked for so far has landed (close waits for it). */
  flush(): Promise<void> {
    return this.#storeTail
  }

  #store(write: () => Promise<void>, sessionName: string | undefined): void {
    this.#storeTail = this.#storeTail.then(write).catch((error: unknown) => {
      if (error instanceof RevokedError) this.#options.onRevoked(sessionName ?? '')
    })
  }

  /** Replaces the active context with a later copy of itself (e.g. carrying the stored lockVersion). */
  replaceCurrent(context: SessionContext): void {
    if (this.#chain[0]?.id === context.id) this.#chain[0] = context
  }

  /** Undoes {@link activate} of `failed`: `from` is active again. */
  rollback(from: SessionContext, failed: SessionContext): void {
    this.#chain = this.#chain.filter((c) => c !== failed)
    if (this.#chain[0]?.id === from.id) this.#chain[0] = withChanges(this.#chain[0], { active: true })
    else this.#chain.unshift(withChanges(from, { active: true }))
  }

  /** Marks a context inactive in the chain (it ended). */
  markEnded(id: string): void {
    this.#chain = this.#chain.map((c) => (c.id === id && c.active ? withChanges(c, { active: false }) : c))
  }
}

/** The identity key of a subject. */
export function identityOf(subjectId: number | undefined): string {
  return `subject:${subjectId ?? 'unknown'}`
}
