import { StoreError } from '../errors.js'
import { createSessionContext, type TransitionKind } from './sessionContext.js'
import type { StoredSession } from './sessionStore.js'

/** Version of {@link StoredSessionRecord}; bump when its shape changes. */
export const STORED_SESSION_RECORD_VERSION = 1

/**
 * A {@link StoredSession} as plain JSON for file and Redis stores. Unlike the session itself
 * it HOLDS THE TOKENS as ordinary fields: write it to the backing store (encrypted at rest)
 * and nowhere else, never to a log.
 */
export interface StoredSessionRecord {
  v: typeof STORED_SESSION_RECORD_VERSION
  context: {
    id: string
    prevId: string | null
    createdAt: number
    accessToken: string
    refreshToken: string
    expiresAt: number
    transition: TransitionKind
    subjectId: number | null
    sessionName: string | null
    scope: string
    active: boolean
    lockVersion: number
    lastRefreshedAt: number | null
  }
  metadata: {
    clientId: string
    createdAt: number
    lastRefreshedAt: number | null
    lastCallAt: number | null
    subjectId: number | null
    sessionName: string | null
    refreshExpiresAt: number | null
    refreshClaimedAt?: number | null
  }
}

/** Turns a session into a JSON-safe record, tokens included (see {@link StoredSessionRecord}). */
export function encodeStoredSession(session: StoredSession): StoredSessionRecord {
  const { context: c, metadata: m } = session
  return {
    v: STORED_SESSION_RECORD_VERSION,
    context: {
      id: c.id,
      prevId: c.prevId ?? null,
      createdAt: c.createdAt,
      accessToken: c.accessToken,
      refreshToken: c.refreshToken,
      expiresAt: c.expiresAt,
      transition: c.transition,
      subjectId: c.subjectId ?? null,
      sessionName: c.sessionName ?? null,
      scope: c.scope,
      active: c.active,
      lockVersion: c.lockVersion,
      lastRefreshedAt: c.lastRefreshedAt ?? null,
    },
    metadata: {
      clientId: m.clientId,
      createdAt: m.createdAt,
      lastRefreshedAt: m.lastRefreshedAt ?? null,
      lastCallAt: m.lastCallAt ?? null,
      subjectId: m.subjectId ?? null,
      sessionName: m.sessionName ?? null,
      refreshExpiresAt: m.refreshExpiresAt ?? null,
      refreshClaimedAt: m.refreshClaimedAt ?? null,
    },
  }
}

const TRANSITIONS: ReadonlySet<string> = new Set(['initial', 'refresh', 'exchange', 'fork', 'switch'])

/**
 * Rebuilds a session from a record (e.g. parsed JSON). Anything malformed throws
 * `StoreError('STORE_CORRUPT')` naming the field, never its value.
 */
export function decodeStoredSession(value: unknown): StoredSession {
  const corrupt = (field: string): never => {
    throw new StoreError('STORE_CORRUPT', `Stored session record has a missing or malformed ${field}`)
  }
  const obj = (v: unknown, field: string): Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : corrupt(field)
  const record = obj(value, 'record')
  if (record.v !== STORED_SESSION_RECORD_VERSION) corrupt('version')
  const c = obj(record.context, 'context')
  const m = obj(record.metadata, 'metadata')
  const str = (o: Record<string, unknown>, k: string, where: string): string =>
    typeof o[k] === 'string' ? (o[k] as string) : corrupt(`${where}.${k}`)
  const num = (o: Record<string, unknown>, k: string, where: string): number =>
    typeof o[k] === 'number' && Number.isFinite(o[k]) ? (o[k] as number) : corrupt(`${where}.${k}`)
  const optStr = (o: Record<string, unknown>, k: string, where: string): string | undefined =>
    o[k] === null || o[k] === undefined ? undefined : str(o, k, where)
  const optNum = (o: Record<string, unknown>, k: string, where: string): number | undefined =>
    o[k] === null || o[k] === undefined ? undefined : num(o, k, where)
  const transition = str(c, 'transition', 'context')
  if (!TRANSITIONS.has(transition)) corrupt('context.transition')
  if (typeof c.active !== 'boolean') corrupt('context.active')
  const accessToken = str(c, 'accessToken', 'context')
  const refreshToken = str(c, 'refreshToken', 'context')
  if (accessToken === '' || refreshToken === '') corrupt('context tokens')
  const context = createSessionContext({
    id: str(c, 'id', 'context'),
    prevId: optStr(c, 'prevId', 'context'),
    createdAt: num(c, 'createdAt', 'context'),
    accessToken,
    refreshToken,
    expiresAt: num(c, 'expiresAt', 'context'),
    transition: transition as TransitionKind,
    subjectId: optNum(c, 'subjectId', 'context'),
    sessionName: optStr(c, 'sessionName', 'context'),
    scope: str(c, 'scope', 'context'),
    active: c.active as boolean,
    lockVersion: num(c, 'lockVersion', 'context'),
    lastRefreshedAt: optNum(c, 'lastRefreshedAt', 'context'),
  })
  return Object.freeze({
    context,
    metadata: Object.freeze({
      clientId: str(m, 'clientId', 'metadata'),
      createdAt: num(m, 'createdAt', 'metadata'),
      lastRefreshedAt: optNum(m, 'lastRefreshedAt', 'metadata'),
      lastCallAt: optNum(m, 'lastCallAt', 'metadata'),
      subjectId: optNum(m, 'subjectId', 'metadata'),
      sessionName: optStr(m, 'sessionName', 'metadata'),
      refreshExpiresAt: optNum(m, 'refreshExpiresAt', 'metadata'),
      refreshClaimedAt: optNum(m, 'refreshClaimedAt', 'metadata'),
    }),
  })
}
