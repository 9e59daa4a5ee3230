import { StoreError } from '../../errors.js'
import type { StoredSession } from '../sessionStore.js'
import { decodeStoredSession, encodeStoredSession } from '../storedSessionCodec.js'
import type { RecordCipher } from './recordCipher.js'
import type { RevocationEvent } from './revocationListeners.js'

/** Value of the `format` field that marks a file as ours. */
export const SESSION_FILE_FORMAT = 'deribit-session-store'
/** Version of the file layout; a file with another version is refused, never rewritten. */
export const SESSION_FILE_VERSION = 1

/** Everything a session file holds. */
export interface SessionFileContents {
  /** By session id. */
  sessions: Map<string, StoredSession>
  /** By session name. */
  revocations: Map<string, RevocationEvent>
}

/** An empty store, as a missing file reads. */
export function emptySessionFile(): SessionFileContents {
  return { sessions: new Map(), revocations: new Map() }
}

type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Parses a session file. A file that is not JSON, lacks our `format`/`version` header or holds
 * a malformed entry throws `StoreError('STORE_CORRUPT')`; an encrypted file read without the
 * key, a plain one read with a key, or a wrong key throws `StoreError('STORE_KEY')`. Messages
 * name the file and the problem, never a token.
 */
export async function parseSessionFile(
  text: string,
  cipher: RecordCipher | undefined,
  path: string,
): Promise<SessionFileContents> {
  const corrupt = (why: string): never => {
    throw new StoreError(
      'STORE_CORRUPT',
      `${path} is not a readable deribit-session store file (${why}); it was left untouched — move it away or fix it`,
    )
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    corrupt('not JSON')
  }
  if (!isObject(doc) || doc.format !== SESSION_FILE_FORMAT) return corrupt('no deribit-session-store header')
  if (doc.version !== SESSION_FILE_VERSION) return corrupt(`unsupported version ${String(doc.version)}`)
  let body: unknown = doc
  if (typeof doc.encrypted === 'string') {
    if (cipher === undefined) {
      throw new StoreError('STORE_KEY', `${path} is encrypted; give the store its encryptionKey`)
    }
    const plain = await cipher.open(doc.encrypted, path)
    try {
      body = JSON.parse(plain)
    } catch {
      corrupt('decrypted content is not JSON')
    }
  } else if (cipher !== undefined) {
    throw new StoreError(
      'STORE_KEY',
      `${path} is not encrypted but an encryptionKey was given; refusing to mix plain and encrypted use of one file`,
    )
  }
  if (!isObject(body) || !isObject(body.sessions) || !isObject(body.revocations)) return corrupt('missing sections')
  const contents = emptySessionFile()
  for (const [id, record] of Object.entries(body.sessions)) {
    let session: StoredSession
    try {
      session = decodeStoredSession(record)
    } catch (error) {
      return corrupt(error instanceof Error ? error.message : 'malformed session')
    }
    if (session.context.id !== id) corrupt('a session is filed under another id')
    contents.sessions.set(id, session)
  }
  for (const [name, value] of Object.entries(body.revocations)) {
    if (!isObject(value) || typeof value.until !== 'number' || typeof value.at !== 'number') {
      return corrupt('malformed revocation')
    }
    contents.revocations.set(name, { sessionName: name, revokedAt: value.at, revokedUntil: value.until })
  }
  return contents
}

/** The file text for `contents` (tokens sealed with `cipher` when given). */
export async function serializeSessionFile(
  contents: SessionFileContents,
  cipher: RecordCipher | undefined,
): Promise<string> {
  const body = {
    sessions: Object.fromEntries([...contents.sessions].map(([id, s]) => [id, encodeStoredSession(s)])),
    revocations: Object.fromEntries(
      [...contents.revocations.values()].map((r) => [r.sessionName, { until: r.revokedUntil, at: r.revokedAt }]),
    ),
  }
  const header = { format: SESSION_FILE_FORMAT, version: SESSION_FILE_VERSION }
  if (cipher === undefined) return `${JSON.stringify({ ...header, ...body }, null, 2)}\n`
  return `${JSON.stringify({ ...header, encrypted: await cipher.seal(JSON.stringify(body)) })}\n`
}
