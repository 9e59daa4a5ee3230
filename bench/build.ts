/**
 * The bench measures the package as users import it (`deribit-session`, the compiled `dist/`),
 * not the TypeScript sources through a dev-time transform: tsx's output wraps functions for
 * their names and is measurably slower per frame. So before a run the build is brought up to
 * date: `dist/` is rebuilt when any file under `src/` is newer than it.
 */
import { execFileSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

function newestMtimeMs(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(path) : statSync(path).mtimeMs)
  }
  return newest
}

function builtMtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs
  } catch {
    return 0
  }
}

/** Rebuilds `dist/` (the package's own build script) if `src/` changed since; returns whether it did. */
export function ensureBuilt(root: string): boolean {
  if (builtMtimeMs(join(root, 'dist', 'index.js')) >= newestMtimeMs(join(root, 'src'))) return false
  process.stderr.write('dist/ is older than src/: building the package first (npm run build)\n')
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' })
  return true
}
