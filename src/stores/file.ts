/**
 * `deribit-session/stores/file`: a session store in one JSON file on local disk, shared by the
 * processes of one machine. A separate entry point so the main entry never loads it.
 */

export { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_STALE_LOCK_MS } from '../session/stores/fileLock.js'
export * from '../session/stores/fileSessionStore.js'
export type { EncryptionKey } from '../session/stores/recordCipher.js'
