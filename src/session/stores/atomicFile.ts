import { randomBytes } from 'node:crypto'
import * as fs from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

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
