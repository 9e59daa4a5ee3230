import { decodeJwt } from 'jose'

/**
 * The claims of a token that is a JWT, or undefined for an opaque token. Not verified: the
 * client is not the token's verifier; it only reads `exp` and a session-naming claim that the
 * exchange (or a gateway in front of it) put there.
 */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  // Opaque tokens (Deribit's) are rejected without a parse attempt.
  if (token.split('.').length !== 3) return undefined
  try {
    return decodeJwt(token)
  } catch {
    return undefined
  }
}

/** Seconds until the JWT's `exp`, from `nowMs`; undefined when the token has no usable `exp`. */
export function secondsUntilExpiry(token: string, nowMs: number): number | undefined {
  const exp = jwtClaims(token)?.exp
  if (typeof exp !== 'number' || !Number.isFinite(exp)) return undefined
  return Math.max(1, Math.floor(exp - nowMs / 1000))
}

/** A string claim of a JWT (e.g. `jti`), or undefined. */
export function stringClaim(token: string, claim: string): string | undefined {
  const value = jwtClaims(token)?.[claim]
  return typeof value === 'string' && value.length > 0 ? value : undefined
}
