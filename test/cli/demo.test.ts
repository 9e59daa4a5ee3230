import { describe, expect, it } from 'vitest'
import { runCli } from './cliProcess.js'

describe('deribit-session demo', () => {
  it('runs the scripted bot to a passing verdict, saying on stderr that it is on a simulator', {
    timeout: 60_000,
  }, async () => {
    const run = await runCli(['demo', '--json'], undefined, 50_000)
    expect(run.stderr).toBe('deribit-session demo: running on an embedded simulator; nothing reaches an exchange\n')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, failures: [] })
  })
})
