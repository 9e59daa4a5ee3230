/** Keys whose values are credentials: never printed by the CLI. */
export const SECRET_KEYS: ReadonlySet<string> = new Set([
  'access_token',
  'refresh_token',
  'client_secret',
  'accessToken',
  'refreshToken',
  'clientSecret',
])

/**
 * A deep copy of `value` with every credential-named key's value replaced by `"[redacted]"`, so
 * `deribit-session call public/exchange_token …` shows the answer's shape but never its tokens.
 *
 * @example
 * redactSecrets({ access_token: 'abc', expires_in: 900 }) // { access_token: '[redacted]', expires_in: 900 }
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactSecrets)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const [key, item] of Object.entries(value)) out[key] = SECRET_KEYS.has(key) ? '[redacted]' : redactSecrets(item)
  return out
}
