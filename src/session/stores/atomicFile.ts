import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { processAlive } from './processAlive.js'

/** Suffix of the temporary files {@link writeFileAtomic} renames into place. */
export const TEMP_FILE_SUFFIX = '.tmp'

/** Name of a fresh temp file next to `path` (same directory, so the rename stays atomic). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}${TEMP_FILE_SUFFIX}`)
}

/**
 * Replaces `path` with `data` so that a reader, or the file after a crash or power loss at
 * any instant, holds either the whole old content or the whole new one: write a temp file in
 * the same directory, fsync it, rename it over `path`, fsync the directory (which makes the
 * rename itself durable). The file is created with `mode` (0600: it holds tokens).
 */
export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const tmp = tempPathFor(path)
  const file = await fs.open(tmp, 'wx', mode)
  try {
    try {
      await file.writeFile(data, 'utf8')
      await file.sync()
    } finally {
      await file.close()
    }
    await fs.rename(tmp, path)
  } catch (error) {
    await fs.rm(tmp, { force: true }).catch(() => undefined)
    throw error
  }
  await syncDirectory(dirname(path))
}

/** fsyncs a directory so renames and unlinks in it survive a crash. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r')
  try {
    await handle.sync()
  } catch (error) {
    // Some file systems refuse fsync on a directory; the rename is then as durable as they allow.
    const code = (error as { code?: unknown }).code
    if (code !== 'EINVAL' && code !== 'EISDIR' && code !== 'EPERM') throw error
  } finally {
    await handle.close()
  }
}

/**
 * Deletes temp files a crashed writer left next to `path`: its pid is gone and the file is older
 * than `minAgeMs` (the age guards against a pid that means another host's process on a shared
 * file system). Failures are ignored: leftovers are harmless, just untidy.
 */
export async function removeOrphanTempFiles(path: string, minAgeMs: number): Promise<number> {
  const dir = dirname(path)
  const pattern = new RegExp(
    `^\\.${basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.[0-9a-f]{12}\\.tmp$`,
  )
  let removed = 0
  try {
    for (const name of await fs.readdir(dir)) {
      const pid = pattern.exec(name)?.[1]
      if (pid === undefined || processAlive(Number(pid))) continue
      const file = join(dir, name)
      const stat = await fs.stat(file).catch(() => undefined)
      if (stat === undefined || Date.now() - stat.mtimeMs < minAgeMs) continue
      await fs.rm(file, { force: true })
      removed++
    }
  } catch {
    // Unreadable directory: the write itself will report what matters.
  }
  return removed
}
