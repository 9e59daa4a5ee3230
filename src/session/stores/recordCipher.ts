import { CompactEncrypt, compactDecrypt } from 'jose'
import { StoreError } from '../../errors.js'

/** A 32-byte AES key: raw bytes, or those bytes as a base64 (or base64url) string. */
export type EncryptionKey = Uint8Array | string

/** Length of an {@link EncryptionKey} in bytes (A256GCM). */
export const ENCRYPTION_KEY_BYTES = 32

const JWE_COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

function keyBytes(key: EncryptionKey): Uint8Array {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') /* Node's decoder also takes base64url */ : key
  if (!(bytes instanceof Uint8Array) || bytes.length !== ENCRYPTION_KEY_BYTES) {
    // The length is safe to name; the key is not.
    throw new StoreError(
      'STORE_KEY',
      `encryptionKey must be ${ENCRYPTION_KEY_BYTES} bytes (a Uint8Array or a base64 string of ${ENCRYPTION_KEY_BYTES} bytes), got ${bytes instanceof Uint8Array ? bytes.length : 'no'} bytes`,
    )
  }
  return new Uint8Array(bytes)
}

/**
 * Seals store records at rest as JWE compact (`alg: 'dir'`, `enc: 'A256GCM'`) under a key the
 * user holds. Shared by the file and Redis stores. The key lives in a private field, so
 * logging the cipher or a store never shows it.
 */
export class RecordCipher {
  readonly #key: Uint8Array

  /** Throws `StoreError('STORE_KEY')` unless `key` is exactly 32 bytes. */
  constructor(key: EncryptionKey) {
    this.#key = keyBytes(key)
  }

  /** True when `text` has the shape of a JWE compact string (what {@link seal} returns). */
  static isSealed(text: string): boolean {
    return JWE_COMPACT.test(text)
  }

  /** Encrypts and authenticates `plaintext`. */
  async seal(plaintext: string): Promise<string> {
    return new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ alg: 'dir', enc: 'A256GCM', cty: 'deribit-session+json' })
      .encrypt(this.#key)
  }

  /**
   * Decrypts what {@link seal} made. A wrong key, a tampered or truncated record, or anything
   * else that fails authentication throws `StoreError('STORE_KEY')` naming `what`.
   */
  async open(sealed: string, what: string): Promise<string> {
    try {
      const { plaintext } = await compactDecrypt(sealed, this.#key, {
        keyManagementAlgorithms: ['dir'],
        contentEncryptionAlgorithms: ['A256GCM'],
      })
      return new TextDecoder('utf-8', { fatal: true }).decode(plaintext)
    } catch {
      // jose's own error is deliberately not chained: it can quote header material.
      throw new StoreError(
        'STORE_KEY',
        `Cannot decrypt ${what}: the encryption key is wrong or the record was tampered with`,
      )
    }
  }
}
