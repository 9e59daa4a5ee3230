import { AuthError, RevokedError } from '../errors.js'
import type { AuthResult } from '../protocol/types.js'
import type { Logger } from '../transport/logger.js'
import { type Credentials, newNonce } from './credentials.js'
import type { RpcCaller } from './rpcCaller.js'
import {
  isSessionScoped,
  type SessionContext,
  sessionFromAuthResult,
  type TransitionKind,
  withChanges,
} from './sessionContext.js'
import type { SessionPersistence } from './sessionPersistence.js'
import { type SideConnectionOptions, withSideConnection } from './sideConnection.js'
import { authenticateWithRefreshToken, authenticateWithSignature, exchangeToken, forkToken } from './tokenOperations.js'

/** What a token operation ends with. */
export interface TokenResult {
  /** The context the connection is signed in with now. */
  context: SessionContext
  /**
   * True when the connection became a new exchange session (anything but a refresh of the same
   * session): its private subscriptions ended and must be made again.
   */
  newSession: boolean
  /** True when nothing was done (the work was already done by someone else). */
  unchanged?: boolean
}

/** What the authenticator needs from the client. */
export interface AuthenticatorOptions {
  credentials: Credentials | undefined
  /** The `session:NAME` scope asked for at sign-in, when the client has a session name. */
  sessionName: string | undefined
  /** JWT claim that names a session (see `DeribitClientOptions.sessionIdClaim`). */
  sessionIdClaim: string | undefined
  persistence: SessionPersistence
  logger: Logger
  side: SideConnectionOptions
}

/**
 * Every place this client spends a token: signing in, refreshing (with the signature fallback),
 * exchanging, forking, switching, and authenticating a new socket. Refresh tokens are only spent
 * through the store's claim ({@link SessionPersistence.spendRefreshToken}), so processes sharing a
 * session never spend the same one twice. Each method returns the new context; making it active
 * is the client's job.
 */
export class Authenticator {
  readonly #options: AuthenticatorOptions
  /** The key's main account, learnt at the first sign-in (signature auth lands there). */
  #mainSubjectId: number | undefined

  constructor(options: AuthenticatorOptions) {
    this.#options = options
  }

  /** The main account's id, once known. */
  get mainSubjectId(): number | undefined {
    return this.#mainSubjectId
  }

  /**
   * Authenticates a fresh connection: a session-scoped refresh token when one lives, else the
   * signature; then re-enters the subject the session was on. Undefined for a public-only client.
   */
  async connect(caller: RpcCaller, current: SessionContext | undefined): Promise<SessionContext | undefined> {
    const { credentials, persistence, logger } = this.#options
    if (!credentials && !current) return undefined
    if (current && (await persistence.isRevoked(current.sessionName))) {
      throw new RevokedError(`Session ${current.sessionName} is revoked in the store`)
    }
    if (current && isSessionScoped(current)) {
      try {
        return await this.spendOnConnection(caller, current)
      } catch (error) {
        if (!(error instanceof AuthError)) throw error
        logger.info({ code: error.exchangeCode }, 'stored refresh token refused; falling back to signature auth')
      }
    }
    if (!credentials) throw new RevokedError('Session tokens refused and no credentials to sign with')
    let result: AuthResult
    const signing = this.signIn(caller, current?.sessionName ?? this.#options.sessionName)
    // The identity query rides right behind the sign-in (the exchange answers in order): one round trip less.
    const main = this.#askMainSubject(caller)
    // Signature auth lands on the main account: final unless the session was on a subaccount.
    const subject = current?.subjectId
    if (subject === undefined || subject === this.#mainSubjectId) announce(caller, signing, subject)
    try {
      result = await signing
    } catch (error) {
      if (error instanceof AuthError && error.exchangeCode === 13004) {
        // Not retried: neither a refused key nor a clock outside the 60 s signature window heals by itself.
        const reason = (error.data as { reason?: unknown } | undefined)?.reason
        throw new RevokedError(
          `The exchange refused the API key's signature${typeof reason === 'string' ? ` (${reason})` : ''}; check the key and the system clock`,
          { exchangeCode: 13004, data: error.data, cause: error },
        )
      }
      throw error
    }
    return this.#enterSubject(caller, result, current ? 'refresh' : 'initial', current, main)
  }

  /** Signature auth lands on the main account; step back into the subject the session was on. */
  async #enterSubject(
    caller: RpcCaller,
    signed: AuthResult,
    transition: TransitionKind,
    current: SessionContext | undefined,
    asked: Promise<number | undefined>,
  ): Promise<SessionContext> {
    const main = await asked
    const context = this.contextFrom(signed, transition, current, main)
    if (current?.subjectId === undefined || current.subjectId === main) return context
    const exchanged = await exchangeToken(caller, context.refreshToken, current.subjectId, {})
    const authed = await announce(
      caller,
      authenticateWithRefreshToken(caller, exchanged.refresh_token),
      current.subjectId,
    )
    return this.contextFrom(authed, 'refresh', current, current.subjectId)
  }

  /**
   * Authenticates the connection with a session's refresh token, under the store's claim. When
   * another process refreshed first, its tokens are adopted and spent here in turn (a new socket
   * can only be authenticated by spending one).
   */
  async spendOnConnection(caller: RpcCaller, current: SessionContext): Promise<SessionContext> {
    let from = current
    for (let attempt = 0; ; attempt++) {
      const { context, spent } = await this.#options.persistence.spendRefreshToken(from, async (claimed) =>
        this.contextFrom(
          await announce(caller, authenticateWithRefreshToken(caller, claimed.refreshToken), claimed.subjectId),
          'refresh',
          claimed,
          claimed.subjectId,
        ),
      )
      if (spent || attempt >= 3) return context
      from = context
    }
  }

  /**
   * A refresh: under the store's claim (the other processes adopt the winner's tokens), with one
   * fall-back to signature auth when the refresh token is refused (say, its answer was lost).
   * Signature auth lands on the main account as a new session, so a session on a subaccount is
   * exchanged back into it: a refresh never moves the client to another account.
   */
  async refresh(caller: RpcCaller, from: SessionContext): Promise<TokenResult> {
    let newSession = false
    const { context } = await this.#options.persistence.spendRefreshToken(from, async (claimed) => {
      try {
        const result = await authenticateWithRefreshToken(caller, claimed.refreshToken)
        return this.contextFrom(result, 'refresh', claimed, claimed.subjectId)
      } catch (error) {
        if (!(error instanceof AuthError) || !this.#options.credentials) throw error
        this.#options.logger.info({}, 'refresh refused; falling back to signature auth')
        newSession = true
        return await this.#backInto(caller, claimed)
      }
    })
    return { context, newSession }
  }

  /** Signs in by signature and, for a subaccount's session, exchanges back into that subaccount. */
  async #backInto(caller: RpcCaller, claimed: SessionContext): Promise<SessionContext> {
    const signing = this.signIn(caller, claimed.sessionName)
    const main = this.#askMainSubject(caller)
    const signed = await signing
    try {
      return await this.#enterSubject(caller, signed, 'refresh', claimed, main)
    } catch (error) {
      // The connection is signed in as the main account now, not as the session it had.
      throw Object.assign(error instanceof Error ? error : new Error(String(error)), { tainted: true })
    }
  }

  /** `exchange_token` to another subject, then the connection authenticates as it (a new session). */
  async exchange(caller: RpcCaller, from: SessionContext, subjectId: number, scope?: string): Promise<TokenResult> {
    const exchanged = await exchangeToken(caller, from.refreshToken, subjectId, scope ? { scope } : {})
    const authed = await announce(caller, authenticateWithRefreshToken(caller, exchanged.refresh_token), subjectId)
    return { context: this.contextFrom(authed, 'exchange', from, subjectId), newSession: true }
  }

  /** `fork_token` into a new named session, then the connection authenticates as it. */
  async fork(caller: RpcCaller, from: SessionContext, sessionName: string): Promise<TokenResult> {
    const forked = await forkToken(caller, from.refreshToken, sessionName)
    const authed = await announce(caller, authenticateWithRefreshToken(caller, forked.refresh_token), from.subjectId)
    return { context: this.contextFrom(authed, 'fork', from, from.subjectId), newSession: true }
  }

  /** Re-activates a held session: no token operation, only its refresh token spent on this connection. */
  async switchTo(caller: RpcCaller, target: SessionContext): Promise<TokenResult> {
    const context = withChanges(await this.spendOnConnection(caller, target), { transition: 'switch' })
    return { context, newSession: true }
  }

  /** Refreshes a held (not active) session over a side connection, under the store's claim. */
  async refreshHeld(context: SessionContext): Promise<SessionContext> {
    const { context: refreshed } = await this.#options.persistence.spendRefreshToken(context, (claimed) =>
      withSideConnection(this.#options.side, async (rpc) =>
        this.contextFrom(
          await authenticateWithRefreshToken(rpc, claimed.refreshToken),
          'refresh',
          claimed,
          claimed.subjectId,
        ),
      ),
    )
    return refreshed
  }

  /** `public/auth` by signature (the secret never leaves the process), in `session:NAME` scope when named. */
  signIn(caller: RpcCaller, sessionName: string | undefined): Promise<AuthResult> {
    const credentials = this.#options.credentials
    if (!credentials) throw new RevokedError('No credentials to sign with')
    return authenticateWithSignature(caller, credentials, {
      now: Date.now(),
      nonce: newNonce(),
      ...(sessionName ? { scope: `session:${sessionName}` } : {}),
    })
  }

  /** A context from an auth answer, named by the JWT claim when the token is a JWT. */
  contextFrom(
    result: AuthResult,
    transition: TransitionKind,
    prev: SessionContext | undefined,
    subjectId: number | undefined,
  ): SessionContext {
    return sessionFromAuthResult(result, {
      transition,
      now: Date.now(),
      ...(this.#options.sessionIdClaim ? { sessionIdClaim: this.#options.sessionIdClaim } : {}),
      ...(prev ? { prev } : {}),
      ...(subjectId !== undefined ? { subjectId } : {}),
    })
  }

  /**
   * The key's main account, asked right after a signature sign-in is written (not after its
   * answer). Its answer only counts once the sign-in succeeded: a refused sign-in makes this
   * query fail too, and that failure is the sign-in's to report.
   */
  #askMainSubject(caller: RpcCaller): Promise<number | undefined> {
    if (this.#mainSubjectId !== undefined) return Promise.resolve(this.#mainSubjectId)
    const asked = caller.call<{ id?: unknown }>('private/get_account_summary', { currency: 'BTC' }).then((summary) => {
      if (typeof summary?.id === 'number') this.#mainSubjectId = summary.id
      return this.#mainSubjectId
    })
    asked.catch(() => undefined)
    return asked
  }
}

/**
 * Tells the caller that the authentication settling the connection's next identity is written
 * (see {@link RpcCaller.authWritten}); returns the authentication unchanged.
 */
function announce<T>(caller: RpcCaller, authenticating: Promise<T>, subjectId: number | undefined): Promise<T> {
  caller.authWritten?.(
    authenticating.then(
      () => true,
      () => false,
    ),
    subjectId,
  )
  return authenticating
}
