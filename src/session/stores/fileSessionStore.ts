import type { Stats } from 'node:fs'
import * as fs from 'node:fs/promises'
import { dirname } from 'node:path'
import { DeribitError, StoreError } from '../../errors.js'
import {
  compareAndSet,
  isStoredSessionExpired,
  matchesFilter,
  type SessionFilter,
  type SessionStore,
  type StoredSession,
} from '../sessionStore.js'
import { removeOrphanTempFiles, writeFileAtomic } from './atomicFile.js'
import { DEFAULT_STALE_LOCK_MS, TAKEOVER_SUFFIX, withFileLock } from './fileLock.js'
import { errnoCode, fileStoreError } from './fsErrors.js'
import { type EncryptionKey, RecordCipher } from './recordCipher.js'
import { RevocationListeners } from './revocationListeners.js'
import { emptySessionFile, parseSessionFile, type SessionFileContents, serializeSessionFile } from './sessionFile.js'

/** How often a file store with `onRevoked` listeners looks for revocations made by other processes. */
export const DEFAULT_FILE_POLL_INTERVAL_MS = 250

/** Options of {@link FileSessionStore}. */
export interface FileSessionStoreOptions {
  /** The store file. Its directory is created (0700) on first write; the file is written 0600. */
  path: string
  /** 32 bytes (or their base64): seals the whole file as JWE (`dir` + `A256GCM`). @default no encryption */
  encryptionKey?: EncryptionKey | undefined
  /** Clock for expiry and revocation TTLs (ms since epoch). @default Date.now */
  now?: (() => number) | undefined
  /** Poll period for revocations by other processes while `onRevoked` has listeners. @default DEFAULT_FILE_POLL_INTERVAL_MS (250) */
  pollIntervalMs?: number | undefined
  /** Wait at most this long for another process's lock. @default DEFAULT_LOCK_TIMEOUT_MS (5000) */
  lockTimeoutMs?: number | undefined
  /** Take over a lock older than this. @default DEFAULT_STALE_LOCK_MS (10000) */
  staleLockMs?: number | undefined
}

/**
 * A {@link SessionStore} in one JSON file, shared by every process on the machine that opens
 * the same path: the embedded default when a path is given.
 *
 * Why one file for all sessions rather than one per session: a handful of sessions per API key
 * is the norm, `getAll` and `revoke` need them all anyway, and one file gives each read a
 * consistent snapshot (sessions and revocations together) with a single atomic rename per write.
 *
 * - Writes are read-modify-write under a lock file (`<path>.lock`, `O_EXCL`, stale when its
 *   pid is dead or it is older than `staleLockMs`), so the lockVersion compare-and-set holds
 *   across processes. Reads take no lock: the atomic rename means they always see a whole file.
 * - Atomic, durable writes: temp file in the same directory, fsync, rename, fsync the
 *   directory. A crash at any point leaves the previous file intact.
 * - A file that is not ours, or is corrupt, throws `STORE_CORRUPT` and is never overwritten;
 *   a wrong key or tampered file throws `STORE_KEY`.
 * - Expired sessions and lapsed revocations are dropped on the next write; temp files left by
 *   crashed writers (dead pid, older than `staleLockMs`) on a handle's first write.
 * - `onRevoked` polls the file (stat, then read when it changed) every `pollIntervalMs`, so a
 *   revocation by another process is heard within that period plus a read.
 *
 * @example
 * const store = new FileSessionStore({
 *   path: '/var/lib/mybot/sessions.json',
 *   encryptionKey: process.env.SESSION_KEY, // 32 bytes as base64
 * })
 * const client = new DeribitClient({ url, credentials, sessionName: 'bot', store })
 * await client.connect() // resumes the stored session if there is one, else logs in and saves it
 * // ...
 * await client.close()
 * await store.close() // the store is the caller's: the client never closes it
 */
export class FileSessionStore implements SessionStore {
  readonly #path: string
  readonly #lockPath: string
  readonly #cipher: RecordCipher | undefined
  readonly #now: () => number
  readonly #pollIntervalMs: number
  readonly #lockOptions: { timeoutMs?: number; staleMs?: number }
  readonly #listeners: RevocationListeners
  /** Serialises this handle's writes, so they queue here rather than spin on the lock file. */
  #writeChain: Promise<unknown> = Promise.resolve()
  #pollTimer: NodeJS.Timeout | undefined
  #polling = false
  /** Identity of the file at the last poll, to skip reading an unchanged file. */
  #pollStamp: string | undefined
  /** Revocations (`name@at`) present at the last poll; undefined before the first one. */
  #pollKnown: Set<string> | undefined
  /** Whether this handle already swept temp files left by crashed writers. */
  #swept = false
  #closed = false

  constructor(options: FileSessionStoreOptions) {
    this.#path = options.path
    this.#lockPath = `${options.path}.lock`
    this.#cipher = options.encryptionKey === undefined ? undefined : new RecordCipher(options.encryptionKey)
    this.#now = options.now ?? Date.now
    this.#pollIntervalMs = options.pollIntervalMs ?? DEFAULT_FILE_POLL_INTERVAL_MS
    this.#lockOptions = {}
    if (options.lockTimeoutMs !== undefined) this.#lockOptions.timeoutMs = options.lockTimeoutMs
    if (options.staleLockMs !== undefined) this.#lockOptions.staleMs = options.staleLockMs
    this.#listeners = new RevocationListeners(this.#now)
  }

  /** The store file's path. */
  get path(): string {
    return this.#path
  }

  async get(sessionId: string): Promise<StoredSession | undefined> {
    const contents = await this.#read()
    return this.#live(contents, sessionId)
  }

  async getAll(filter?: SessionFilter): Promise<StoredSession[]> {
    const contents = await this.#read()
    const out: StoredSession[] = []
    for (const id of contents.sessions.keys()) {
      const session = this.#live(contents, id)
      if (session !== undefined && matchesFilter(session, filter)) out.push(session)
    }
    return out
  }

  async upsert(session: StoredSession, expectedLockVersion: number | undefined): Promise<StoredSession> {
    this.#assertOpen()
    const id = session.context.id
    return this.#write((contents) => {
      const stored = compareAndSet(
        session,
        this.#live(contents, id),
        expectedLockVersion,
        (name) => this.#revokedUntil(contents, name) !== undefined,
      )
      contents.sessions.set(id, stored)
      return { result: stored, changed: true }
    })
  }

  async delete(sessionId: string): Promise<boolean> {
    this.#assertOpen()
    return this.#write((contents) => {
      const existed = this.#live(contents, sessionId) !== undefined
      contents.sessions.delete(sessionId)
      return { result: existed, changed: existed }
    })
  }

  async deleteAll(filter?: SessionFilter): Promise<number> {
    this.#assertOpen()
    return this.#write((contents) => {
      let removed = 0
      for (const id of [...contents.sessions.keys()]) {
        const session = this.#live(contents, id)
        if (session !== undefined && matchesFilter(session, filter)) {
          contents.sessions.delete(id)
          removed++
        }
      }
      return { result: removed, changed: removed > 0 }
    })
  }

  async revoke(sessionName: string, ttlSec: number): Promise<void> {
    this.#assertOpen()
    const at = this.#now()
    const event = { sessionName, revokedAt: at, revokedUntil: at + Math.max(0, ttlSec) * 1000 }
    await this.#write((contents) => {
      if (event.revokedUntil > at) contents.revocations.set(sessionName, event)
      for (const [id, session] of contents.sessions) {
        if (session.context.sessionName === sessionName) contents.sessions.delete(id)
      }
      return { result: undefined, changed: true }
    })
    this.#listeners.deliver(event, true)
  }

  async isRevoked(sessionName: string): Promise<boolean> {
    const contents = await this.#read()
    return this.#revokedUntil(contents, sessionName) !== undefined
  }

  onRevoked(listener: (sessionName: string) => void): () => void {
    this.#assertOpen()
    const off = this.#listeners.add(listener)
    this.#startPolling()
    return () => {
      off()
      if (this.#listeners.size === 0) this.#stopPolling()
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#stopPolling()
    this.#listeners.clear()
    // Let a write already under way finish (or fail) before the caller tears anything down.
    await this.#writeChain.catch(() => undefined)
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError('STORE_UNAVAILABLE', 'The session store is closed')
  }

  #live(contents: SessionFileContents, sessionId: string): StoredSession | undefined {
    const session = contents.sessions.get(sessionId)
    if (session === undefined || isStoredSessionExpired(session, this.#now())) return undefined
    return session
  }

  #revokedUntil(contents: SessionFileContents, sessionName: string): number | undefined {
    const revocation = contents.revocations.get(sessionName)
    return revocation !== undefined && revocation.revokedUntil > this.#now() ? revocation.revokedUntil : undefined
  }

  async #read(): Promise<SessionFileContents> {
    this.#assertOpen()
    let text: string
    try {
      text = await fs.readFile(this.#path, 'utf8')
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return emptySessionFile()
      throw fileStoreError(error, `read ${this.#path}`)
    }
    return parseSessionFile(text, this.#cipher, this.#path)
  }

  /** Read-modify-write under the cross-process lock; writes the file only when `change` says it changed. */
  #write<T>(change: (contents: SessionFileContents) => { result: T; changed: boolean }): Promise<T> {
    const run = async (): Promise<T> => {
      this.#assertOpen()
      try {
        await fs.mkdir(dirname(this.#path), { recursive: true, mode: 0o700 })
        return await withFileLock(this.#lockPath, this.#lockOptions, async () => {
          if (!this.#swept) {
            this.#swept = true
            const minAgeMs = this.#lockOptions.staleMs ?? DEFAULT_STALE_LOCK_MS
            await removeOrphanTempFiles(this.#path, minAgeMs)
            await removeOrphanTempFiles(this.#lockPath, minAgeMs)
            await removeOrphanTempFiles(`${this.#lockPath}${TAKEOVER_SUFFIX}`, minAgeMs)
          }
          const contents = await this.#read()
          const { result, changed } = change(contents)
          const pruned = this.#prune(contents)
          if (changed || pruned) await writeFileAtomic(this.#path, await serializeSessionFile(contents, this.#cipher))
          return result
        })
      } catch (error) {
        if (error instanceof DeribitError) throw error
        throw fileStoreError(error, `write ${this.#path}`)
      }
    }
    const next = this.#writeChain.then(run, run)
    this.#writeChain = next.catch(() => undefined)
    return next
  }

  /** Drops expired sessions and lapsed revocations; true when anything went. */
  #prune(contents: SessionFileContents): boolean {
    const now = this.#now()
    let pruned = false
    for (const [id, session] of contents.sessions) {
      if (isStoredSessionExpired(session, now)) pruned = contents.sessions.delete(id) || pruned
    }
    for (const [name, revocation] of contents.revocations) {
      if (revocation.revokedUntil <= now) pruned = contents.revocations.delete(name) || pruned
    }
    return pruned
  }

  #startPolling(): void {
    if (this.#pollTimer !== undefined) return
    this.#pollTimer = setInterval(() => void this.#poll(), this.#pollIntervalMs)
    // A store must not keep a process alive on its own; whoever listens keeps it alive.
    this.#pollTimer.unref()
    void this.#poll()
  }

  #stopPolling(): void {
    if (this.#pollTimer !== undefined) clearInterval(this.#pollTimer)
    this.#pollTimer = undefined
    this.#pollStamp = undefined
    this.#pollKnown = undefined
  }

  async #poll(): Promise<void> {
    if (this.#polling || this.#closed) return
    this.#polling = true
    try {
      let stat: Stats | undefined
      try {
        stat = await fs.stat(this.#path)
      } catch {
        stat = undefined
      }
      // A rename gives a new inode, so ino + mtime + size changes with every write.
      const stamp = stat === undefined ? 'missing' : `${stat.ino}:${stat.mtimeMs}:${stat.size}`
      if (stamp === this.#pollStamp) return
      const contents = await this.#read()
      if (this.#pollTimer === undefined) return
      this.#pollStamp = stamp
      const known = new Set<string>()
      const now = this.#now()
      for (const revocation of contents.revocations.values()) {
        const key = `${revocation.sessionName}@${revocation.revokedAt}`
        known.add(key)
        if (revocation.revokedUntil <= now) continue
        // Appeared since the last poll: news for every listener. At the first poll there is no
        // "before", so only revocations made after a listener registered reach it.
        const live = this.#pollKnown !== undefined && !this.#pollKnown.has(key)
        this.#listeners.deliver(revocation, live)
      }
      this.#pollKnown = known
    } catch {
      // A corrupt, foreign or undecryptable file surfaces on the next real call; polling just retries.
    } finally {
      this.#polling = false
    }
  }
}
