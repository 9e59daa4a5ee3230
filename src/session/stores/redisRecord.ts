import { StoreError } from '../../errors.js'
import type { StoredSession } from '../sessionStore.js'
import { decodeStoredSession, encodeStoredSession } from '../storedSessionCodec.js'
import { RecordCipher } from './recordCipher.js'

/** A session as the Redis store keeps it in a hash's `r` field: JSON, or JWE with a cipher. */
export async function encodeRedisRecord(cipher: RecordCipher | undefined, session: StoredSession): Promise<string> {
  const json = JSON.stringify(encodeStoredSession(session))
  return cipher === undefined ? json : await cipher.seal(json)
}

/**
 * The session in a hash's `r` field, checked against the key it was read from (`id`) and its
 * version field (`v`). A record encrypted without a key (or the reverse), or with the wrong key,
 * is `STORE_KEY`; anything that is not a deribit-session record is `STORE_CORRUPT`.
 */
export async function decodeRedisRecord(
  cipher: RecordCipher | undefined,
  id: string,
  version: string,
  raw: string,
): Promise<StoredSession> {
  const what = `stored session ${id}`
  const sealed = RecordCipher.isSealed(raw)
  let text = raw
  if (cipher !== undefined) {
    if (!sealed) {
      throw new StoreError('STORE_KEY', `${what} is not encrypted but an encryptionKey was given`)
    }
    text = await cipher.open(raw, what)
  } else if (sealed) {
    throw new StoreError('STORE_KEY', `${what} is encrypted; give the store its encryptionKey`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new StoreError('STORE_CORRUPT', `${what} is not a deribit-session record`)
  }
  const session = decodeStoredSession(json)
  if (session.context.id !== id || String(session.context.lockVersion) !== version) {
    throw new StoreError('STORE_CORRUPT', `${what} does not match the key it is stored under`)
  }
  return session
}
