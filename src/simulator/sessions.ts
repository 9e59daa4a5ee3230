import { createHmac, randomBytes } from 'node:crypto'
import { SimRpcError } from './contract.js'
import type { RefreshTokenReuse } from './options.js'

/**
 * A group of tokens bound together: a connection-scoped one lives on one connection
 * (or, when granted over HTTP, on HTTP only); a named one (`session:NAME`) outlives connections.
 */
export interface Session {
  readonly serial: number
  readonly clientId: string
  readonly accountId: number
  /** The `session:NAME` name; undefined for connection scope. */
  readonly name: string | undefined
  /** The connection a connection-scoped session is bound to; undefined for named sessions or HTTP. */
  readonly connectionId: number | undefined
  readonly createdAt: number
  revoked: boolean
}

/** Where a token is being presented: a WebSocket connection, or HTTP. */
export type Presenter = { transport: 'ws'; connectionId: number } | { transport: 'http' }

/** A freshly issued token pair. */
export interface IssuedTokens {
  accessToken: string
  refreshToken: string
  expiresInSec: number
}

/** A token's session and the functional scope it was granted (e.g. `trade:read`). */
export interface TokenGrant {
  session: Session
  scope: readonly string[]
}

interface AccessEntry extends TokenGrant {
  expiresAt: number
}

interface RefreshEntry extends TokenGrant {
  used: boolean
}

/** Nonces are remembered this long (twice the 60 s timestamp window), then forgotten. */
const NONCE_MEMORY_MS = 120_000

/** 13009 `unauthorized`, the one code for every bad, expired or misplaced token. */
export function unauthorized(): SimRpcError {
  return new SimRpcError(13009, 'unauthorized')
}

function newToken(): string {
  // Opaque on purpose: clients must not parse tokens.
  return randomBytes(32).toString('base64url')
}

/**
 * A JWT-shaped access token, as a gateway in front of an exchange might issue: `sub` is the
 * account, `jti` names the session, `exp` is the expiry. Signed with a per-process key: the
 * simulator checks tokens by lookup, so the signature only has to look real.
 */
function newJwt(session: Session, expiresAtMs: number, nowMs: number): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
  const body = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({
    sub: String(session.accountId),
    jti: `sim-session-${session.serial}`,
    iat: Math.floor(nowMs / 1000),
    exp: Math.floor(expiresAtMs / 1000),
    nonce: randomBytes(8).toString('hex'),
  })}`
  return `${body}.${createHmac('sha256', JWT_KEY).update(body).digest('base64url')}`
}

const JWT_KEY = randomBytes(32)

/** Sessions, their access and refresh tokens, and used signature nonces. */
export class SessionStore {
  readonly #sessions = new Map<number, Session>()
  readonly #access = new Map<string, AccessEntry>()
  readonly #refresh = new Map<string, RefreshEntry>()
  readonly #tokensOf = new Map<Session, Set<string>>()
  readonly #nonces = new Map<string, number>()
  #nextSerial = 1

  constructor(
    private readonly nowMs: () => number,
    private readonly tokenLifetimeSec: number,
    private readonly maxSessionsPerKey: number,
    private readonly tokenFormat: 'opaque' | 'jwt' = 'opaque',
  ) {}

  /**
   * The session for a new grant. A named session is reused when the key already holds one of that
   * name for that account; a new one past the limit evicts the key's oldest named session.
   */
  open(clientId: string, accountId: number, name: string | undefined, presenter: Presenter): Session {
    if (name !== undefined) {
      for (const s of this.#sessions.values()) {
        if (!s.revoked && s.clientId === clientId && s.accountId === accountId && s.name === name) return s
      }
    }
    const session: Session = {
      serial: this.#nextSerial++,
      clientId,
      accountId,
      name,
      connectionId: name === undefined && presenter.transport === 'ws' ? presenter.connectionId : undefined,
      createdAt: this.nowMs(),
      revoked: false,
    }
    this.#sessions.set(session.serial, session)
    if (name !== undefined) this.#evictBeyondLimit(clientId)
    return session
  }

  #evictBeyondLimit(clientId: string): void {
    const named = [...this.#sessions.values()].filter((s) => s.clientId === clientId && s.name !== undefined)
    // Map iteration is insertion order, so the first ones are the oldest.
    for (let i = 0; i < named.length - this.maxSessionsPerKey; i++) this.revoke(named[i]!)
  }

  /** A new access/refresh pair in `session`, both carrying `scope`. */
  issue(session: Session, scope: readonly string[]): IssuedTokens {
    const expiresAt = this.nowMs() + this.tokenLifetimeSec * 1000
    const accessToken = this.tokenFormat === 'jwt' ? newJwt(session, expiresAt, this.nowMs()) : newToken()
    const refreshToken = newToken()
    this.#access.set(accessToken, { session, scope, expiresAt })
    this.#refresh.set(refreshToken, { session, scope, used: false })
    let set = this.#tokensOf.get(session)
    if (set === undefined) {
      set = new Set()
      this.#tokensOf.set(session, set)
    }
    set.add(accessToken)
    set.add(refreshToken)
    return { accessToken, refreshToken, expiresInSec: this.tokenLifetimeSec }
  }

  /** The session and scope of a valid access token presented here; 13009 otherwise. */
  checkAccess(token: string, presenter: Presenter): TokenGrant {
    const entry = this.#access.get(token)
    if (entry === undefined || entry.session.revoked) throw unauthorized()
    if (entry.expiresAt <= this.nowMs()) throw unauthorized()
    if (!this.#boundHere(entry.session, presenter)) throw unauthorized()
    return entry
  }

  /** The scope an access token was granted; empty for an unknown token. */
  scopeOf(token: string): readonly string[] {
    return this.#access.get(token)?.scope ?? []
  }

  /** True while an access token is neither expired nor revoked (wherever it was presented). */
  isLive(token: string): boolean {
    const entry = this.#access.get(token)
    return entry !== undefined && !entry.session.revoked && entry.expiresAt > this.nowMs()
  }

  /**
   * The session of a refresh token presented for a refresh grant, marking the token used.
   * A token used before is handled per `reuse` (the simulator's `refreshTokenReuse` option).
   */
  redeemRefresh(token: string, presenter: Presenter, reuse: RefreshTokenReuse): TokenGrant {
    const entry = this.peekRefresh(token, presenter, reuse)
    entry.used = true
    // A connection-scoped refresh replaces the previous access token.
    if (entry.session.name === undefined) this.#dropAccessTokens(entry.session)
    return entry
  }

  /** Checks a refresh token without using it up (exchange_token, fork_token). */
  peekRefresh(token: string, presenter: Presenter, reuse: RefreshTokenReuse): RefreshEntry {
    const entry = this.#refresh.get(token)
    if (entry === undefined || entry.session.revoked) throw unauthorized()
    if (!this.#boundHere(entry.session, presenter)) throw unauthorized()
    if (entry.used) {
      if (reuse === 'revoke-session') this.revoke(entry.session)
      if (reuse !== 'allow') throw unauthorized()
    }
    return entry
  }

  #boundHere(session: Session, presenter: Presenter): boolean {
    if (session.name !== undefined) return true
    if (session.connectionId === undefined) return presenter.transport === 'http'
    return presenter.transport === 'ws' && presenter.connectionId === session.connectionId
  }

  #dropAccessTokens(session: Session): void {
    const set = this.#tokensOf.get(session)
    if (set === undefined) return
    for (const t of set) {
      if (this.#access.delete(t)) set.delete(t)
    }
  }

  /** Invalidates every token of a session. */
  revoke(session: Session): void {
    session.revoked = true
    for (const t of this.#tokensOf.get(session) ?? []) {
      this.#access.delete(t)
      this.#refresh.delete(t)
    }
    this.#tokensOf.delete(session)
    this.#sessions.delete(session.serial)
  }

  /** Revokes the connection-scoped sessions of a closed connection. */
  connectionClosed(connectionId: number): void {
    for (const s of [...this.#sessions.values()]) {
      if (s.connectionId === connectionId) this.revoke(s)
    }
  }

  /** Sessions matching a `session:NAME` name (string) or an account id (number). */
  matching(which: string | number): Session[] {
    return [...this.#sessions.values()].filter((s) =>
      typeof which === 'string' ? s.name === which : s.accountId === which,
    )
  }

  /** Makes every access token of the given sessions expired now; refresh tokens stay usable. */
  expireAccess(sessions: readonly Session[]): number {
    const now = this.nowMs()
    let n = 0
    for (const entry of this.#access.values()) {
      if (sessions.includes(entry.session)) {
        entry.expiresAt = Math.min(entry.expiresAt, now)
        n++
      }
    }
    return n
  }

  /** Records a signature nonce; false when the key used it before (nonces are single-use). */
  useNonce(clientId: string, nonce: string): boolean {
    const now = this.nowMs()
    if (this.#nonces.size > 10_000) {
      for (const [k, at] of this.#nonces) if (now - at > NONCE_MEMORY_MS) this.#nonces.delete(k)
    }
    const key = `${clientId}\n${nonce}`
    if (this.#nonces.has(key)) return false
    this.#nonces.set(key, now)
    return true
  }
}
