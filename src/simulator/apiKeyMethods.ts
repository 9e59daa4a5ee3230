/**
 * API key management over the server's key registry: `private/create_api_key`,
 * `private/list_api_keys`, `private/enable_api_key`, `private/disable_api_key`,
 * `private/reset_api_key`, `private/remove_api_key`, `private/change_api_key_name`,
 * `private/change_scope_in_api_key`, `private/edit_api_key`. Each acts on the caller's
 * (sub)account's keys. A disabled or removed key no longer authenticates, a reset one only
 * with its new secret. Tokens already issued stay valid, with the scope they were granted, until
 * they expire; `max_scope` bounds every later grant (`scope.ts`). `ip_whitelist` is recorded
 * and reported but not enforced (README).
 */
import type { ApiKey } from './accounts.js'
import { invalidParams } from './contract.js'
import { optionalBoolean, optionalString, requireNumber } from './params.js'
import type { ServerCall, ServerDeps, ServerMethod } from './serverMethod.js'

const SCOPE_TOKEN = /^(account|trade|wallet|block_trade|block_rfq|custody):(none|read|read_write)$/
const FEATURES = ['restricted_block_trades', 'block_trade_approval']
const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}(\/\d{1,2})?$/

function keyWire(key: ApiKey): Record<string, unknown> {
  return {
    id: key.id,
    timestamp: key.createdMs,
    client_id: key.clientId,
    client_secret: key.clientSecret,
    max_scope: [...key.maxScope],
    enabled: key.enabled,
    default: key.isDefault,
    name: key.name,
    enabled_features: [...key.features],
    ip_whitelist: [...key.ipWhitelist],
  }
}

/** `max_scope`: a space-separated string or a list of scope tokens. */
function scopeParam(params: Record<string, unknown>): string[] {
  const raw = params.max_scope
  const tokens = typeof raw === 'string' ? raw.split(/\s+/).filter((t) => t !== '') : raw
  if (
    !Array.isArray(tokens) ||
    tokens.length === 0 ||
    !tokens.every((t) => typeof t === 'string' && SCOPE_TOKEN.test(t))
  )
    throw invalidParams('max_scope', 'scope tokens such as account:read trade:read_write')
  return tokens as string[]
}

function stringList(params: Record<string, unknown>, name: string, test: (v: string) => boolean): string[] | undefined {
  const raw = params[name]
  if (raw === undefined) return undefined
  if (!Array.isArray(raw) || !raw.every((v) => typeof v === 'string' && test(v)))
    throw invalidParams(name, 'invalid list')
  return raw as string[]
}

function nameParam(params: Record<string, unknown>): string | undefined {
  const name = optionalString(params, 'name')
  if (name !== undefined && !/^[A-Za-z0-9_]{1,16}$/.test(name))
    throw invalidParams('name', 'up to 16 letters, digits or underscores')
  return name
}

function accountOf(call: ServerCall): number {
  if (call.auth === undefined) throw invalidParams('access_token', 'value required')
  return call.auth.accountId
}

/** The caller's key named by `id`. */
function ownKey(deps: ServerDeps, call: ServerCall): ApiKey {
  const id = requireNumber(call.params, 'id')
  const key = deps.accounts.keysOf(accountOf(call)).find((k) => k.id === id)
  if (key === undefined) throw invalidParams('id', 'no such API key')
  return key
}

function method(run: (call: ServerCall) => unknown): ServerMethod {
  return { access: 'private', wsOnly: false, run }
}

/** The API key methods, keyed by method name. */
export function apiKeyMethods(deps: ServerDeps): Record<string, ServerMethod> {
  const { accounts } = deps
  return {
    'private/create_api_key': method((call) => {
      const scope = scopeParam(call.params)
      const key = accounts.addKey(accountOf(call), nameParam(call.params) ?? '', scope)
      key.features = stringList(call.params, 'enabled_features', (f) => FEATURES.includes(f)) ?? []
      if (optionalString(call.params, 'public_key') !== undefined)
        throw invalidParams('public_key', 'Ed25519 keys are not simulated; use client_secret keys')
      return keyWire(key)
    }),
    'private/list_api_keys': method((call) => accounts.keysOf(accountOf(call)).map(keyWire)),
    'private/enable_api_key': method((call) => {
      const key = ownKey(deps, call)
      key.enabled = true
      return keyWire(key)
    }),
    'private/disable_api_key': method((call) => {
      const key = ownKey(deps, call)
      key.enabled = false
      return keyWire(key)
    }),
    'private/reset_api_key': method((call) => {
      const key = ownKey(deps, call)
      accounts.resetSecret(key)
      return keyWire(key)
    }),
    'private/remove_api_key': method((call) => {
      const key = ownKey(deps, call)
      if (key.isDefault) throw invalidParams('id', 'the default key cannot be removed')
      accounts.removeKey(key)
      return 'ok'
    }),
    'private/change_api_key_name': method((call) => {
      const key = ownKey(deps, call)
      const name = nameParam(call.params)
      if (name === undefined) throw invalidParams('name', 'value required')
      key.name = name
      return keyWire(key)
    }),
    'private/change_scope_in_api_key': method((call) => {
      const key = ownKey(deps, call)
      key.maxScope = scopeParam(call.params)
      return keyWire(key)
    }),
    'private/edit_api_key': method((call) => {
      const key = ownKey(deps, call)
      key.maxScope = scopeParam(call.params)
      const name = nameParam(call.params)
      if (name !== undefined) key.name = name
      if (call.params.enabled !== undefined) key.enabled = optionalBoolean(call.params, 'enabled', key.enabled)
      const features = stringList(call.params, 'enabled_features', (f) => FEATURES.includes(f))
      if (features !== undefined) key.features = features
      const ips = stringList(call.params, 'ip_whitelist', (ip) => IPV4.test(ip))
      if (ips !== undefined) key.ipWhitelist = ips
      return keyWire(key)
    }),
  }
}
