import * as fs from 'node:fs/promises'
import { hostname } from 'node:os'
import { StoreError } from '../../errors.js'
import { tempPathFor } from './atomicFile.js'
import { errnoCode } from './fsErrors.js'
import { processAlive } from './processAlive.js'

/** How long to wait for another process's lock before giving up. */
export const DEFAULT_LOCK_TIMEOUT_MS = 5_000
/** A lock older than this is taken over even if its owner seems alive (a store operation takes milliseconds). */
export const DEFAULT_STALE_LOCK_MS = 10_000
/**
 * A lock that names no owner cannot come from this code (it links a complete file into place);
 * an older version created the file first and wrote its owner after, microseconds later. Past
 * this age such a lock is an abandoned one.
 */
const OWNERLESS_GRACE_MS = 1_000
/** Suffix of the guard file held while a stale lock is removed. */
export const TAKEOVER_SUFFIX = '.takeover'

/** Options of {@link withFileLock}. */
export interface FileLockOptions {
  /** @default DEFAULT_LOCK_TIMEOUT_MS */
  timeoutMs?: number
  /** @default DEFAULT_STALE_LOCK_MS */
  staleMs?: number
}

interface LockOwner {
  pid: number
  host: string
}

function parseOwner(text: string): LockOwner | undefined {
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value !== 'object' || value === null) return undefined
    const { pid, host } = value as Record<string, unknown>
    return typeof pid === 'number' && typeof host === 'string' ? { pid, host } : undefined
  } catch {
    return undefined
  }
}

/** True when the lock at `lockPath` was left by a dead process on this host, or is older than `staleMs`. */
async function isStale(lockPath: string, staleMs: number): Promise<{ stale: boolean; ino?: number; mtimeMs?: number }> {
  let stat: import('node:fs').Stats
  let text: string
  try {
    stat = await fs.stat(lockPath)
    text = await fs.readFile(lockPath, 'utf8')
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return { stale: false }
    throw error
  }
  const owner = parseOwner(text)
  const deadOwner = owner !== undefined && owner.host === hostname() && !processAlive(owner.pid)
  const age = Date.now() - stat.mtimeMs
  const abandoned = owner === undefined && age > OWNERLESS_GRACE_MS
  return { stale: deadOwner || abandoned || age > staleMs, ino: stat.ino, mtimeMs: stat.mtimeMs }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Takes the lock if it is free: the owner is written to a temp file first, which is then
 * hard-linked into place (atomic, and failing with EEXIST when the lock is held). So the lock
 * file, whenever it exists, names its owner: a process killed at any instant leaves either no
 * lock, or one naming a dead pid that the next writer takes over at once, never an empty one.
 * Returns the lock's inode, or undefined when it is held.
 */
async function tryLock(lockPath: string): Promise<number | undefined> {
  const tmp = tempPathFor(lockPath)
  try {
    await fs.writeFile(tmp, JSON.stringify({ pid: process.pid, host: hostname(), at: Date.now() }), {
      flag: 'wx',
      mode: 0o600,
    })
    const { ino } = await fs.stat(tmp)
    try {
      await fs.link(tmp, lockPath)
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return undefined
      throw error
    }
    return ino
  } finally {
    await fs.rm(tmp, { force: true })
  }
}

/** Removes `path` if it is still the very file `seen` described (same inode and mtime). */
async function removeIfSame(path: string, seen: { ino?: number; mtimeMs?: number }): Promise<void> {
  const again = await fs.stat(path).catch(() => undefined)
  if (again !== undefined && again.ino === seen.ino && again.mtimeMs === seen.mtimeMs)
    await fs.rm(path, { force: true })
}

/**
 * Removes the stale lock at `lockPath`, one process at a time. Without the guard, two writers
 * that both judged the same dead lock stale could interleave so that the slower one deletes
 * the lock the faster one just took (there is no compare-and-unlink): two writers inside, one
 * update lost. Under the guard the lock is judged again, and nothing but this process can
 * remove it meanwhile. The guard is itself a linked owner file, so a process killed while
 * holding it leaves a dead owner that the next one clears.
 */
async function takeOver(lockPath: string, staleMs: number): Promise<void> {
  const guardPath = `${lockPath}${TAKEOVER_SUFFIX}`
  const guard = await tryLock(guardPath)
  if (guard === undefined) {
    const verdict = await isStale(guardPath, staleMs)
    if (verdict.stale) await removeIfSame(guardPath, verdict)
    return
  }
  try {
    const verdict = await isStale(lockPath, staleMs)
    if (verdict.stale) await removeIfSame(lockPath, verdict)
  } finally {
    await releaseIfMine(guardPath, guard)
  }
}

/**
 * Removes our own lock only: if we were so slow that another process judged it stale and took
 * over, the lock file there now is theirs.
 */
async function releaseIfMine(path: string, ino: number): Promise<void> {
  const current = await fs.stat(path).catch(() => undefined)
  if (current !== undefined && current.ino === ino) await fs.rm(path, { force: true })
}

/**
 * Runs `fn` holding an exclusive lock file (see {@link tryLock}) that every process using the
 * same path respects. A lock left by a crashed process (dead pid on this host) or older than
 * `staleMs` is removed (see {@link takeOver}) and retaken.
 */
export async function withFileLock<T>(lockPath: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS
  const staleMs = options.staleMs ?? DEFAULT_STALE_LOCK_MS
  const deadline = Date.now() + timeoutMs
  let ino: number
  for (;;) {
    const taken = await tryLock(lockPath)
    if (taken !== undefined) {
      ino = taken
      break
    }
    if ((await isStale(lockPath, staleMs)).stale) {
      await takeOver(lockPath, staleMs)
      continue
    }
    if (Date.now() >= deadline) {
      throw new StoreError('STORE_UNAVAILABLE', `Timed out after ${timeoutMs} ms waiting for the lock file ${lockPath}`)
    }
    await sleep(2 + Math.random() * 8)
  }
  try {
    return await fn()
  } finally {
    await releaseIfMine(lockPath, ino)
  }
}
