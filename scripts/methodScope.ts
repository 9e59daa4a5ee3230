/**
 * Reads the scope a method requires out of its OpenAPI operation. Deribit states it inside the
 * description as a `**Scope:**` line; only the scope tokens (and the `mainaccount` and parameter
 * conditions that qualify them) are taken as data. A line in a form not known here stops the
 * generator, so a changed spec cannot silently drop a requirement.
 */
import type { ScopeRequirement } from '../src/protocol/specTable.js'

const TOKEN = /^(account|trade|wallet|block_trade|block_rfq|custody):(read|read_write)$/

/**
 * Area names the spec spells in a way Deribit never grants: `wallets:read_write` on the two
 * subaccount transfer methods, where the scope table and every grant say `wallet`.
 */
const AREA_SPELLINGS: Readonly<Record<string, string>> = { wallets: 'wallet' }

function scopeToken(raw: string, method: string): string {
  const colon = raw.indexOf(':')
  const area = raw.slice(0, colon)
  const token = `${AREA_SPELLINGS[area] ?? area}${raw.slice(colon)}`
  if (colon < 0 || !TOKEN.test(token)) throw new Error(`${method}: unknown scope token ${raw}`)
  return token
}

/** The forms of the scope line: one token, a token plus `mainaccount`, or a token with a conditional alternative. */
const FORMS = {
  single: /^`([\w:]+)`$/,
  main: /^`([\w:]+)` and mainaccount$/,
  alternative: /^`([\w:]+)` or `([\w:]+)` \(when `(\w+)` = `true`\)$/,
}

/** The method's scope requirement; undefined when its description states none (authentication only). */
export function methodScope(method: string, description: unknown): ScopeRequirement | undefined {
  if (typeof description !== 'string') return undefined
  const lines = [...description.matchAll(/\*\*Scope:\*\*([^\n]*)/g)].map(([, line = '']) => line.trim())
  if (lines.length === 0) return undefined
  if (lines.length > 1) throw new Error(`${method}: more than one scope line`)
  const line = lines[0] ?? ''
  const single = FORMS.single.exec(line)
  if (single !== null) return { token: scopeToken(single[1] ?? '', method) }
  const main = FORMS.main.exec(line)
  if (main !== null) return { token: scopeToken(main[1] ?? '', method), mainaccount: true }
  const alt = FORMS.alternative.exec(line)
  if (alt !== null) {
    return {
      token: scopeToken(alt[1] ?? '', method),
      or: { token: scopeToken(alt[2] ?? '', method), when: alt[3] ?? '' },
    }
  }
  throw new Error(`${method}: scope line in an unknown form`)
}
