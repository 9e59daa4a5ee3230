import { timingSafeEqual } from 'node:crypto'
import { wsSignature } from '../protocol/signature.js'
import type { AuthResult } from '../protocol/types.js'
import { invalidParams, SimRpcError } from './contract.js'
import { optionalString, requireNumber, requireString } from './params.js'
import { forbidden, grantScope, scopeTokens } from './scope.js'
import type { ServerCall, ServerDeps, ServerMethod } from './serverMethod.js'
import type { IssuedTokens, Session, TokenGrant } from './sessions.js'
import type { GrantType } from './stats.js'

/** How far a `client_signature` timestamp may be from the server clock. */
export const SIGNATURE_WINDOW_MS = 60_000

const GRANTS: readonly GrantType[] = ['client_credentials', 'client_signature', 'refresh_token']

function invalidCredentials(reason?: string): SimRpcError {
  return new SimRpcError(13004, 'invalid_credentials', reason === undefined ? undefined : { reason })
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The `session:NAME` name in a scope string, if any. */
function sessionNameOf(scope: string | undefined): string | undefined {
  for (const part of scopeTokens(scope)) {
    if (part.startsWith('session:')) {
      const name = part.slice('session:'.length)
      if (name === '') throw invalidParams('scope', 'empty session name')
      return name
    }
  }
  return undefined
}

/** The granted scope string, e.g. `session:NAME mainaccount account:read_write trade:read`. */
function grantedScope(deps: ServerDeps, { session, scope }: TokenGrant): string {
  const head = session.name === undefined ? 'connection' : `session:${session.name}`
  return [head, ...(deps.accounts.isMain(session.accountId) ? ['mainaccount'] : []), ...scope].join(' ')
}

function tokenResult(deps: ServerDeps, grant: TokenGrant, issued: IssuedTokens): AuthResult {
  const result = {
    access_token: issued.accessToken,
    expires_in: issued.expiresInSec,
    refresh_token: issued.refreshToken,
    scope: grantedScope(deps, grant),
    sid: `sim-${grant.session.serial}`,
    token_type: 'bearer' as const,
  }
  if (!deps.options.omitExpiresIn) return result
  // A gateway that only puts the expiry in the JWT: clients must read `exp` themselves.
  const { expires_in: _omitted, ...withoutExpiry } = result
  return withoutExpiry as AuthResult
}

/** The session and scope of a grant; a refresh keeps the scope of the token it refreshes. */
function authenticateWith(deps: ServerDeps, call: ServerCall, grant: GrantType): TokenGrant {
  const p = call.params
  const reuse = deps.options.refreshTokenReuse
  if (grant === 'refresh_token') {
    return deps.sessions.redeemRefresh(requireString(p, 'refresh_token'), call.presenter, reuse)
  }
  const clientId = requireString(p, 'client_id')
  const key = deps.accounts.key(clientId)
  if (grant === 'client_credentials') {
    const secret = requireString(p, 'client_secret')
    if (key === undefined || !sameSecret(secret, key.clientSecret)) throw invalidCredentials()
  } else {
    const timestamp = requireNumber(p, 'timestamp')
    const signature = requireString(p, 'signature')
    const rawNonce = p.nonce
    if (typeof rawNonce !== 'string' && typeof rawNonce !== 'number') throw invalidParams('nonce', 'invalid format')
    const nonce = String(rawNonce)
    const data = optionalString(p, 'data') ?? ''
    if (key === undefined) throw invalidCredentials()
    if (!sameSecret(signature, wsSignature(key.clientSecret, timestamp, nonce, data))) throw invalidCredentials()
    if (Math.abs(deps.clock.nowMs() - timestamp) > SIGNATURE_WINDOW_MS) {
      throw invalidCredentials('timestamp outside the 60 s window')
    }
    if (!deps.sessions.useNonce(key.clientId, nonce)) throw invalidCredentials('nonce already used')
  }
  if (key === undefined) throw invalidCredentials()
  const requested = optionalString(p, 'scope')
  const scope = grantScope(key.maxScope, requested)
  return { session: deps.sessions.open(key.clientId, key.accountId, sessionNameOf(requested), call.presenter), scope }
}

/** `public/auth` with its three grants. On WebSocket the connection takes the new identity. */
function auth(deps: ServerDeps): ServerMethod {
  return {
    access: 'public',
    wsOnly: false,
    run(call) {
      const grant = call.params.grant_type
      if (typeof grant !== 'string' || !(GRANTS as readonly string[]).includes(grant)) {
        deps.stats.authFailures++
        throw invalidParams('grant_type', `must be one of ${GRANTS.join(', ')}`)
      }
      let granted: TokenGrant
      try {
        granted = authenticateWith(deps, call, grant as GrantType)
      } catch (err) {
        deps.stats.authFailures++
        const known = deps.accounts.key(String(call.params.client_id))
        if (known !== undefined) deps.accessLog.record(known.accountId, 'failure', { grant_type: grant })
        throw err
      }
      const { session, scope } = granted
      deps.accessLog.record(session.accountId, 'success', { grant_type: grant })
      const issued = deps.sessions.issue(session, scope)
      deps.stats.authByGrant[grant as GrantType]++
      if (call.conn !== undefined) deps.authenticate(call.conn, session, issued.accessToken)
      const state = optionalString(call.params, 'state')
      return { ...tokenResult(deps, granted, issued), enabled_features: [], ...(state === undefined ? {} : { state }) }
    },
  }
}

function afterTransition(deps: ServerDeps, source: Session, created: Session): void {
  if (deps.options.sourceSessionAfterTransition === 'revoke' && source !== created) deps.sessions.revoke(source)
}

/**
 * `public/exchange_token`: tokens for another account of the same tree; the connection's identity
 * is unchanged. The new tokens keep the source token's scope; a `scope` param may narrow it, never widen it.
 */
function exchangeToken(deps: ServerDeps): ServerMethod {
  return {
    access: 'public',
    wsOnly: false,
    run(call) {
      const token = requireString(call.params, 'refresh_token')
      const subject = requireNumber(call.params, 'subject_id')
      const { session: source, scope: sourceScope } = deps.sessions.peekRefresh(
        token,
        call.presenter,
        deps.options.refreshTokenReuse,
      )
      if (!Number.isInteger(subject) || !deps.accounts.sameTree(source.accountId, subject)) {
        throw forbidden('subject_id is not the main account or one of its subaccounts')
      }
      const requested = optionalString(call.params, 'scope')
      const scope = grantScope(sourceScope, requested)
      const created = deps.sessions.open(
        source.clientId,
        subject,
        sessionNameOf(requested) ?? source.name,
        call.presenter,
      )
      const issued = deps.sessions.issue(created, scope)
      afterTransition(deps, source, created)
      deps.stats.exchangeTokens++
      return tokenResult(deps, { session: created, scope }, issued)
    },
  }
}

/** `public/fork_token`: the same account and scope under a new session name; session-scoped sources only. */
function forkToken(deps: ServerDeps): ServerMethod {
  return {
    access: 'public',
    wsOnly: false,
    run(call) {
      const token = requireString(call.params, 'refresh_token')
      const name = requireString(call.params, 'session_name')
      const { session: source, scope } = deps.sessions.peekRefresh(
        token,
        call.presenter,
        deps.options.refreshTokenReuse,
      )
      if (source.name === undefined) throw forbidden('fork_token needs a session-scoped token')
      const created = deps.sessions.open(source.clientId, source.accountId, name, call.presenter)
      const issued = deps.sessions.issue(created, scope)
      afterTransition(deps, source, created)
      deps.stats.forkTokens++
      return tokenResult(deps, { session: created, scope }, issued)
    },
  }
}

/** The token methods, keyed by method name. */
export function authMethods(deps: ServerDeps): Record<string, ServerMethod> {
  return {
    'public/auth': auth(deps),
    'public/exchange_token': exchangeToken(deps),
    'public/fork_token': forkToken(deps),
  }
}
