import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cleanEnv, finished, spawnNode } from '../cli/cliProcess.js'

const root = join(import.meta.dirname, '../..')

/** The README's Quick start code block, with the package's entry points mapped to the sources. */
function quickStartScript(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## Concepts'))
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1]
  if (!code) throw new Error('README has no ts block under "## Quick start"')
  return code
    .replace("from 'deribit-session/simulator'", `from '${join(root, 'src/simulator/index.ts')}'`)
    .replace("from 'deribit-session'", `from '${join(root, 'src/index.ts')}'`)
}

describe('README', () => {
  it('the Quick start runs as written against the simulator', async () => {
    const dir = mkdtempSync(join(root, 'test/docs/.quickstart-'))
    try {
      const file = join(dir, 'quickstart.ts')
      writeFileSync(file, `${quickStartScript()}\nconsole.log('QUICK START DONE')\n`)
      const run = await finished(spawnNode(file, [], cleanEnv()), 20_000)
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      expect(run.stdout).toContain("order_state: 'filled'")
      expect(run.stdout).toContain('QUICK START DONE')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
