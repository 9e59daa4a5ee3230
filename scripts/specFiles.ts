import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The repository's root directory. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * The directory holding Deribit's spec files. They live beside the repository (`../shared/protocol`,
 * as in CI); a git worktree one level deeper finds them at `../../shared/protocol`;
 * `DERIBIT_SPEC_DIR` overrides both.
 */
export function specDir(): string {
  const candidates = [
    process.env.DERIBIT_SPEC_DIR,
    join(REPO_ROOT, '..', 'shared', 'protocol'),
    join(REPO_ROOT, '..', '..', 'shared', 'protocol'),
  ].filter((c): c is string => c !== undefined && c !== '')
  const found = candidates.find((c) => existsSync(join(c, 'deribit-openapi.json')))
  if (found === undefined) throw new Error(`Deribit spec files not found; looked in: ${candidates.join(', ')}`)
  return found
}

/** Parses one spec file (`deribit-openapi.json` or `deribit-asyncapi.json`). */
export function readSpec(file: 'deribit-openapi.json' | 'deribit-asyncapi.json'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(specDir(), file), 'utf8')) as Record<string, unknown>
}
