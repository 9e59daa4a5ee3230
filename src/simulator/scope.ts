/**
 * Access scope: what a token may do. A grant holds functional scope tokens (`trade:read`,
 * `wallet:read_write`, ...): the key's `max_scope`, narrowed by the `scope` a client asks for, never
 * widened. Every private method's required token comes from the generated method table; a call
 * whose token lacks it is refused with 13021 `forbidden`, as Deribit does.
 */
import { METHOD_TABLE } from '../protocol/generated/methodTable.js'
import type { MethodSpec } from '../protocol/specTable.js'
import { invalidParams, SimRpcError } from './contract.js'

const TABLE: Readonly<Record<string, MethodSpec>> = METHOD_TABLE

/** Functional areas, in the order granted scopes are reported. */
const AREAS = ['account', 'block_rfq', 'block_trade', 'custody', 'trade', 'wallet'] as const
const RANK = { none: 0, read: 1, read_write: 2 } as const
type Level = keyof typeof RANK

/** 13021 `forbidden` with `data.reason`: the caller is authenticated but not allowed this. */
export function forbidden(reason: string): SimRpcError {
  return new SimRpcError(13021, 'forbidden', { reason })
}

function isArea(area: string): boolean {
  return (AREAS as readonly string[]).includes(area)
}

function isLevel(level: string): level is Level {
  return Object.hasOwn(RANK, level)
}

/**
 * Area → level of the functional tokens among `tokens`. Other tokens (`connection`,
 * `session:NAME`, `mainaccount`, `name:...`, `expires:...`, `ip:...`) are not functional and are
 * skipped. `strict` refuses a functional area with an unknown level (a client's request).
 */
function levels(tokens: readonly string[], strict: boolean): Map<string, Level> {
  const out = new Map<string, Level>()
  for (const token of tokens) {
    const colon = token.indexOf(':')
    const area = token.slice(0, colon)
    const level = token.slice(colon + 1)
    if (colon < 0 || !isArea(area)) continue
    if (!isLevel(level)) {
      if (strict) throw invalidParams('scope', `unknown scope ${token}`)
      continue
    }
    out.set(area, level)
  }
  return out
}

/** The tokens of a space-separated scope string. */
export function scopeTokens(scope: string | undefined): string[] {
  return (scope ?? '').split(/\s+/).filter((t) => t !== '')
}

/**
 * The functional scope granted from `max` (the key's `max_scope`, or the source token's grant)
 * and the `scope` a client asked for. Asking for any `area:read` / `area:read_write` limits the
 * grant to the areas asked for; `area:none` removes an area; each area is granted at most at its
 * `max` level (`wallet:read_write` asked of a `wallet:read` key gives `wallet:read`).
 */
export function grantScope(max: readonly string[], requested: string | undefined): string[] {
  const cap = levels(max, false)
  const asked = levels(scopeTokens(requested), true)
  const narrows = [...asked.values()].some((level) => level !== 'none')
  const grant: string[] = []
  for (const area of AREAS) {
    const most = cap.get(area) ?? 'none'
    const wanted = asked.get(area) ?? (narrows ? 'none' : most)
    const level = RANK[wanted] < RANK[most] ? wanted : most
    if (level !== 'none') grant.push(`${area}:${level}`)
  }
  return grant
}

/** True when `grant` holds `required`; `area:read_write` satisfies `area:read`. */
export function scopeAllows(grant: readonly string[], required: string): boolean {
  const [area = '', level = ''] = required.split(':')
  const held = levels(grant, false).get(area)
  return held !== undefined && isLevel(level) && RANK[held] >= RANK[level]
}

/**
 * Refuses (13021) a private call the token's grant does not allow: a method for main accounts
 * only called by a subaccount, or one whose required scope token the grant lacks. Methods the
 * spec gives no scope need authentication only. Public methods are never checked: they need no
 * token at all.
 */
export function enforceScope(
  method: string,
  params: Readonly<Record<string, unknown>>,
  grant: readonly string[],
  isMainAccount: boolean,
): void {
  const spec = Object.hasOwn(TABLE, method) ? TABLE[method] : undefined
  const need = spec?.access === 'private' ? spec.scope : undefined
  if (need === undefined) return
  // The same refusal the account-tree rules give, so a subaccount meets one answer either way.
  if (need.mainaccount === true && !isMainAccount) throw forbidden('main account only')
  if (scopeAllows(grant, need.token)) return
  if (need.or !== undefined && params[need.or.when] === true && scopeAllows(grant, need.or.token)) return
  throw forbidden(`scope ${need.token} required`)
}
