/** What the generators share: biome formatting, and writing their files or checking them (`--check`). */
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { REPO_ROOT } from './specFiles.js'

/** Formats with the repo's biome settings, so the committed file passes `biome check` as generated. */
export function formatSource(file: string, source: string): string {
  return execFileSync(`${REPO_ROOT}/node_modules/.bin/biome`, ['format', `--stdin-file-path=${file}`], {
    input: source,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  })
}

/**
 * Writes each `[path, text]` whose file differs; with `check`, writes nothing and sets exit code 1
 * naming every stale file and the command (`npm run …`) that regenerates it.
 */
export function writeOrCheck(outputs: ReadonlyArray<readonly [string, string]>, check: boolean, command: string): void {
  let stale = false
  for (const [path, text] of outputs) {
    let current = ''
    try {
      current = readFileSync(path, 'utf8')
    } catch {}
    if (current === text) continue
    if (check) {
      stale = true
      console.error(`${path} is stale: run ${command} and commit the result`)
    } else {
      writeFileSync(path, text)
      console.log(`wrote ${path}`)
    }
  }
  if (stale) process.exitCode = 1
}
