import { ProtocolError } from '../errors.js'
import type { AuthResult } from '../protocol/types.js'
import { type Credentials, signatureAuthParams } from './credentials.js'
import { secondsUntilExpiry } from './jwtClaims.js'
import type { CallOptions, RpcCaller } from './rpcCaller.js'

/**
 * Checks the shape of an auth/exchange/fork answer. The error names the bad field but
 * never echoes values: they are tokens.
 */
export function parseAuthResult(value: unknown, method: string): AuthResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${method} answered with a non-object result`, { method })
  }
  const r = value as Record<string, unknown>
  const bad = (field: string): never => {
    throw new ProtocolError(`${method} answered with a missing or malformed ${field}`, { method })
  }
  if (typeof r.access_token !== 'string' || r.access_token.length === 0) bad('access_token')
  if (typeof r.refresh_token !== 'string' || r.refresh_token.length === 0) bad('refresh_token')
  if (r.expires_in === undefined && typeof r.access_token === 'string') {
    // Exchanges and gateways that issue JWTs may leave expires_in out: the token's exp says it.
    const fromJwt = secondsUntilExpiry(r.access_token, Date.now())
    if (fromJwt === undefined) bad('expires_in')
    return { ...(value as AuthResult), expires_in: fromJwt as number }
  }
  if (typeof r.expires_in !== 'number' || !Number.isFinite(r.expires_in) || r.expires_in <= 0) bad('expires_in')
  if (typeof r.scope !== 'string') bad('scope')
  if (r.token_type !== undefined && typeof r.token_type !== 'string') bad('token_type')
  if (r.sid !== undefined && typeof r.sid !== 'string') bad('sid')
  if (r.state !== undefined && typeof r.state !== 'string') bad('state')
  if (r.enabled_features !== undefined && !Array.isArray(r.enabled_features)) bad('enabled_features')
  return value as AuthResult
}

/** Logs in with a signed `public/auth` (`grant_type: client_signature`). */
export async function authenticateWithSignature(
  rpc: RpcCaller,
  credentials: Credentials,
  input: { now: number; nonce: string; scope?: string },
  options?: CallOptions,
): Promise<AuthResult> {
  const params = signatureAuthParams(credentials, input)
  return parseAuthResult(await rpc.call<unknown>('public/auth', params, options), 'public/auth')
}

/** Refreshes tokens with `public/auth` (`grant_type: refresh_token`); refresh tokens are single-use. */
export async function authenticateWithRefreshToken(
  rpc: RpcCaller,
  refreshToken: string,
  options?: CallOptions,
): Promise<AuthResult> {
  const params = { grant_type: 'refresh_token', refresh_token: refreshToken }
  return parseAuthResult(await rpc.call<unknown>('public/auth', params, options), 'public/auth')
}

/**
 * Gets tokens for subaccount `subjectId` (`public/exchange_token`). The connection stays
 * authenticated as before until it re-auths with the returned refresh token.
 */
export async function exchangeToken(
  rpc: RpcCaller,
  refreshToken: string,
  subjectId: number,
  input: { scope?: string } = {},
  options?: CallOptions,
): Promise<AuthResult> {
  const params: Record<string, unknown> = { refresh_token: refreshToken, subject_id: subjectId }
  if (input.scope !== undefined) params.scope = input.scope
  const method = 'public/exchange_token'
  return parseAuthResult(await rpc.call<unknown>(method, params, options), method)
}

/** Gets tokens for a new named session with the same scopes (`public/fork_token`; session scope only). */
export async function forkToken(
  rpc: RpcCaller,
  refreshToken: string,
  sessionName: string,
  options?: CallOptions,
): Promise<AuthResult> {
  const method = 'public/fork_token'
  const params = { refresh_token: refreshToken, session_name: sessionName }
  return parseAuthResult(await rpc.call<unknown>(method, params, options), method)
}
