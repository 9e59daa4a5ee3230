import { timingSafeEqual } from 'node:crypto'
import { wsSignature } from '../protocol/signature.js'
import type { AuthResult } from '../protocol/types.js'
import { invalidParams, SimRpcError } from './contract.js'
import { optionalString, requireNumber, requireString } from './params.js'
import type { ServerCall, ServerDeps, ServerMethod } from './serverMethod.js'
import type { IssuedTokens, Session } from './sessions.js'
import type { GrantType } from './stats.js'

/** How far a `client_signature` timestamp may be from the server clock. */
export const SIGNATURE_WINDOW_MS = 60_000

const GRANTS: readonly GrantType[] = ['client_credentials', 'client_signature', 'refresh_token']

function invalidCredentials(reason?: string): SimRpcError {
  return new SimRpcError(13004, 'invalid_credentials', reason === undefined ? undefined : { reason })
}

function forbidden(reason: string): SimRpcError {
  return new SimRpcError(13021, 'forbidden', { reason })
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/** The `session:NAME` name in a scope string, if any. */
function sessionNameOf(scope: string | undefined): string | undefined {
  for (const part of (scope ?? '').split(' ')) {
    if (part.startsWith('session:')) {
      const name = part.slice('session:'.length)
      if (name === '') throw invalidParams('scope', 'empty session name')
      return name
    }
  }
  return undefined
}

/** The granted scope string, e.g. `session:NAME mainaccount account:read_write trade:read_write wallet:read_write`. */
function grantedScope(deps: ServerDeps, session: Session): string {
  const head = session.name === undefined ? 'connection' : `session:${session.name}`
  const main = deps.accounts.isMain(session.accountId) ? ' mainaccount' : ''
  return `${head}${main} account:read_write trade:read_write wallet:read_write`
}

function tokenResult(deps: ServerDeps, session: Session, issued: IssuedTokens): AuthResult {
  const result = {
    access_token: issued.accessToken,
    expires_in: issued.expiresInSec,
    refresh_token: issued.refreshToken,
    scope: grantedScope(deps, session),
    sid: `sim-${session.serial}`,
    token_type: 'bearer' as const,
  }
  if (!deps.options.omitExpiresIn) return result
  // A gateway that only puts the expiry in the JWT: clients must read `exp` themselves.
  const { expires_in: _omitted, ...withoutExpiry } = result
  return withoutExpiry as AuthResult
}

function authenticateWith(deps: ServerDeps, call: ServerCall, grant: GrantType): Session {
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
  return deps.sessions.open(key.clientId, key.accountId, sessionNameOf(optionalString(p, 'scope')), call.presenter)
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
      let session: Session
      try {
        session = authenticateWith(deps, call, grant as GrantType)
      } catch (err) {
        deps.stats.authFailures++
        const known = deps.accounts.key(String(call.params.client_id))
        if (known !== undefined) deps.accessLog.record(known.accountId, 'failure', { grant_type: grant })
        throw err
      }
      deps.accessLog.record(session.accountId, 'success', { grant_type: grant })
      const issued = deps.sessions.issue(session)
      deps.stats.authByGrant[grant as GrantType]++
      if (call.conn !== undefined) deps.authenticate(call.conn, session, issued.accessToken)
      const state = optionalString(call.params, 'state')
      return { ...tokenResult(deps, session, issued), enabled_features: [], ...(state === undefined ? {} : { state }) }
    },
  }
}

function afterTransition(deps: ServerDeps, source: Session, created: Session): void {
  if (deps.options.sourceSessionAfterTransition === 'revoke' && source !== created) deps.sessions.revoke(source)
}

/** `public/exchange_token`: tokens for another account of the same tree; the connection's identity is unchanged. */
function exchangeToken(deps: ServerDeps): ServerMethod {
  return {
    access: 'public',
    wsOnly: false,
    run(call) {
      const token = requireString(call.params, 'refresh_token')
      const subject = requireNumber(call.params, 'subject_id')
      const source = deps.sessions.peekRefresh(token, call.presenter, deps.options.refreshTokenReuse).session
      if (!Number.isInteger(subject) || !deps.accounts.sameTree(source.accountId, subject)) {
        throw forbidden('subject_id is not the main account or one of its subaccounts')
      }
      const name = sessionNameOf(optionalString(call.params, 'scope')) ?? source.name
      const created = deps.sessions.open(source.clientId, subject, name, call.presenter)
      const issued = deps.sessions.issue(created)
      afterTransition(deps, source, created)
      deps.stats.exchangeTokens++
      return tokenResult(deps, created, issued)
    },
  }
}

/** `public/fork_token`: the same account under a new session name; session-scoped sources only. */
function forkToken(deps: ServerDeps): ServerMethod {
  return {
    access: 'public',
    wsOnly: false,
    run(call) {
      const token = requireString(call.params, 'refresh_token')
      const name = requireString(call.params, 'session_name')
      const source = deps.sessions.peekRefresh(token, call.presenter, deps.options.refreshTokenReuse).session
      if (source.name === undefined) throw forbidden('fork_token needs a session-scoped token')
      const created = deps.sessions.open(source.clientId, source.accountId, name, call.presenter)
      const issued = deps.sessions.issue(created)
      afterTransition(deps, source, created)
      deps.stats.forkTokens++
      return tokenResult(deps, created, issued)
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
