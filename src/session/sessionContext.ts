import { randomUUID } from 'node:crypto'
import type { AuthResult } from '../protocol/types.js'
import { stringClaim } from './jwtClaims.js'

/** How a session came to be: first login, refresh, subaccount exchange, fork, or a switch back. */
export type TransitionKind = 'initial' | 'refresh' | 'exchange' | 'fork' | 'switch'

/**
 * One authenticated identity with its tokens. Frozen; the two token properties are
 * readable but not enumerable, so `JSON.stringify`, spreads and `util.inspect` never
 * show them.
 */
export interface SessionContext {
  /** Stable for the life of the session: a refresh keeps it, every other transition makes a new one. */
  readonly id: string
  /** The session this one came from (exchange, fork, switch); undefined for the first one. */
  readonly prevId: string | undefined
  /** When this session was first obtained (ms since epoch); a refresh keeps it. */
  readonly createdAt: number
  /** Token for private calls (non-enumerable; never logged). Opaque: do not parse it. */
  readonly accessToken: AuthResult['access_token']
  /** Single-use token for the next refresh, exchange or fork (non-enumerable; never logged). */
  readonly refreshToken: AuthResult['refresh_token']
  /** When the access token expires (ms since epoch). */
  readonly expiresAt: number
  /** The transition that produced the current tokens (`refresh` after a refresh). */
  readonly transition: TransitionKind
  /** The subaccount the tokens act for, when known (undefined = the key's own account). */
  readonly subjectId: number | undefined
  /** NAME of the `session:NAME` scope token, when session-scoped. */
  readonly sessionName: string | undefined
  /** The scope the exchange granted (space-separated), never the one asked for. */
  readonly scope: AuthResult['scope']
  /** False once the client moved away from this session (it may still be valid on the exchange). */
  readonly active: boolean
  /** Optimistic-concurrency version, owned by a {@link SessionStore}. */
  readonly lockVersion: number
  /** When the tokens were last refreshed (ms since epoch). */
  readonly lastRefreshedAt?: number
}

/** Fields to build a context from; `id` defaults to a fresh one. */
export type SessionContextFields = Omit<SessionContext, 'id' | 'prevId' | 'lastRefreshedAt'> & {
  id?: string
  prevId?: string | undefined
  lastRefreshedAt?: number | undefined
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom')
const REDACTED = '[redacted]'

/** Builds a frozen {@link SessionContext} whose tokens are hidden from serialisation and inspection. */
export function createSessionContext(fields: SessionContextFields): SessionContext {
  const ctx: Record<string | symbol, unknown> = {
    id: fields.id ?? randomUUID(),
    prevId: fields.prevId,
    createdAt: fields.createdAt,
    expiresAt: fields.expiresAt,
    transition: fields.transition,
    subjectId: fields.subjectId,
    sessionName: fields.sessionName,
    scope: fields.scope,
    active: fields.active,
    lockVersion: fields.lockVersion,
  }
  if (fields.lastRefreshedAt !== undefined) ctx.lastRefreshedAt = fields.lastRefreshedAt
  Object.defineProperty(ctx, 'accessToken', { value: fields.accessToken, enumerable: false })
  Object.defineProperty(ctx, 'refreshToken', { value: fields.refreshToken, enumerable: false })
  // util.inspect (even with showHidden) prints what this returns instead of the object.
  Object.defineProperty(ctx, INSPECT, {
    value(this: SessionContext) {
      return { ...this, accessToken: REDACTED, refreshToken: REDACTED }
    },
    enumerable: false,
  })
  return Object.freeze(ctx) as unknown as SessionContext
}

/** Names of the scope tokens, e.g. `['session:bot', 'trade:read_write']`. */
export function scopeTokens(scope: string): string[] {
  return scope.split(/\s+/).filter((t) => t.length > 0)
}

/** NAME of the first `session:NAME` scope token, if any. */
export function sessionNameFromScope(scope: string): string | undefined {
  for (const token of scopeTokens(scope)) {
    if (token.startsWith('session:') && token.length > 'session:'.length) return token.slice('session:'.length)
  }
  return undefined
}

/** Options of {@link sessionFromAuthResult}. */
export interface SessionFromAuthOptions {
  transition: TransitionKind
  /** Clock reading (ms since epoch) taken when the answer arrived. */
  now: number
  /** The session this one replaces or was derived from. */
  prev?: SessionContext
  /**
   * Subaccount the new tokens act for. Defaults to `prev.subjectId` for `refresh`, `fork`
   * and `switch` (they keep the subject) and to undefined for `initial` and `exchange`.
   */
  subjectId?: number
  /**
   * For JWT access tokens: the claim whose value names the session and becomes the context's
   * `id` (a new session only; a refresh keeps its id). Ignored for opaque tokens.
   */
  sessionIdClaim?: string
}

/**
 * Turns an auth/exchange/fork answer into a context. A `refresh` with `prev` keeps the
 * session's `id`, `prevId`, `createdAt` and `lockVersion` (it is the same session with new
 * tokens, which is what lets a store detect two processes refreshing it at once) and sets
 * `lastRefreshedAt`; every other transition gets a fresh id with `prevId = prev.id`.
 */
export function sessionFromAuthResult(result: AuthResult, options: SessionFromAuthOptions): SessionContext {
  const { transition, now, prev } = options
  const keepsSubject = transition === 'refresh' || transition === 'fork' || transition === 'switch'
  const subjectId = options.subjectId ?? (keepsSubject ? prev?.subjectId : undefined)
  const common = {
    accessToken: result.access_token,
    refreshToken: result.refresh_token,
    expiresAt: now + result.expires_in * 1000,
    transition,
    subjectId,
    sessionName: sessionNameFromScope(result.scope),
    scope: result.scope,
    active: true,
  }
  if (transition === 'refresh' && prev !== undefined) {
    return createSessionContext({
      ...common,
      id: prev.id,
      prevId: prev.prevId,
      createdAt: prev.createdAt,
      lockVersion: prev.lockVersion,
      lastRefreshedAt: now,
    })
  }
  const claimedId = options.sessionIdClaim ? stringClaim(result.access_token, options.sessionIdClaim) : undefined
  return createSessionContext({
    ...common,
    ...(claimedId ? { id: claimedId } : {}),
    prevId: prev?.id,
    createdAt: now,
    lockVersion: 0,
  })
}

/** True when the tokens are bound to a named session (they survive reconnects and can be stored). */
export function isSessionScoped(ctx: Pick<SessionContext, 'sessionName'>): boolean {
  return ctx.sessionName !== undefined
}

/** Fields {@link withChanges} may change; tokens only change through a new auth answer. */
export type SessionContextChanges = Partial<
  Pick<SessionContext, 'active' | 'lockVersion' | 'transition' | 'lastRefreshedAt' | 'subjectId'>
>

/** A new frozen copy of `ctx` with `changes` applied (tokens carried over, still hidden). */
export function withChanges(ctx: SessionContext, changes: SessionContextChanges): SessionContext {
  return createSessionContext({
    id: ctx.id,
    prevId: ctx.prevId,
    createdAt: ctx.createdAt,
    accessToken: ctx.accessToken,
    refreshToken: ctx.refreshToken,
    expiresAt: ctx.expiresAt,
    transition: changes.transition ?? ctx.transition,
    subjectId: 'subjectId' in changes ? changes.subjectId : ctx.subjectId,
    sessionName: ctx.sessionName,
    scope: ctx.scope,
    active: changes.active ?? ctx.active,
    lockVersion: changes.lockVersion ?? ctx.lockVersion,
    lastRefreshedAt: changes.lastRefreshedAt ?? ctx.lastRefreshedAt,
  })
}

/** Human duration like `14m`, `3h`, `45s`, or `expired`. */
function formatRemaining(ms: number): string {
  if (ms <= 0) return 'expired'
  const s = Math.floor(ms / 1000)
  if (s < 60) return `in ${s}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `in ${m}m`
  const h = Math.floor(m / 60)
  if (h < 48) return `in ${h}h`
  return `in ${Math.floor(h / 24)}d`
}

/**
 * One-line description without tokens, for logs, e.g.
 * `session 3f2a… [fork] subject 12 name=bot scope=session expires in 14m`.
 */
export function sessionSummary(ctx: SessionContext, now: number = Date.now()): string {
  const parts = [`session ${ctx.id.slice(0, 4)}…`, `[${ctx.transition}]`]
  parts.push(ctx.subjectId === undefined ? 'main' : `subject ${ctx.subjectId}`)
  if (ctx.sessionName !== undefined) parts.push(`name=${ctx.sessionName}`)
  parts.push(`scope=${isSessionScoped(ctx) ? 'session' : 'connection'}`)
  if (!ctx.active) parts.push('inactive')
  const remaining = formatRemaining(ctx.expiresAt - now)
  parts.push(remaining === 'expired' ? 'expired' : `expires ${remaining}`)
  return parts.join(' ')
}
