import { describe, expect, it } from 'vitest'
import { cleanEnv, closedPort, runCli } from './cliProcess.js'

// One at a time: a dozen concurrent node + tsx spawns overran their 15 s on a loaded 2-core machine.
describe('deribit-session usage and errors', () => {
  it('prints the overview for --help and lists every command', async () => {
    const run = await runCli(['--help'])
    expect(run.code).toBe(0)
    for (const command of ['watch', 'call', 'sessions', 'simulator', 'demo']) expect(run.stdout).toContain(command)
    expect(run.stdout).toContain('wss://test.deribit.com/ws/api/v2')
  })

  it.each(['watch', 'call', 'sessions', 'simulator', 'demo'])('%s --help shows its own usage', async (command) => {
    const run = await runCli([command, '--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`Usage: deribit-session ${command}`)
    expect(run.stderr).toBe('')
  })

  it('exits 2 without a command, and for an unknown one', async () => {
    const none = await runCli([])
    expect(none.code).toBe(2)
    expect(none.stderr).toContain('Usage:')
    const unknown = await runCli(['wach'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain("unknown command 'wach'")
  })

  it('exits 2 for an unknown flag, naming it and pointing at --help', async () => {
    const run = await runCli(['watch', '--jsn', 'trades.BTC-PERPETUAL.100ms'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("unknown option '--jsn'; the options are --json, --count")
    expect(run.stderr).toContain('deribit-session watch --help')
    expect(run.stdout).toBe('')
  })

  it('exits 2 for a bad number, a missing channel, and a flag without its value', async () => {
    const [count, noChannel, noValue] = await Promise.all([
      runCli(['watch', '--count', 'lots', 'trades.BTC-PERPETUAL.100ms']),
      runCli(['watch', '--json']),
      runCli(['call', 'public/get_time', '--url']),
    ])
    expect(count.code).toBe(2)
    expect(count.stderr).toContain("--count needs a whole number of 1 or more, got 'lots'")
    expect(noChannel.code).toBe(2)
    expect(noChannel.stderr).toContain('at least one channel')
    expect(noValue.code).toBe(2)
    expect(noValue.stderr).toContain('--url')
  })

  it('exits 2 for params that are not JSON, or not an object, before connecting anywhere', async () => {
    const port = await closedPort()
    const url = `ws://127.0.0.1:${port}/ws/api/v2`
    const [bad, array] = await Promise.all([
      runCli(['call', 'public/get_order_book', '{instrument_name:BTC-PERPETUAL}', '--url', url]),
      runCli(['call', 'public/get_order_book', '[1,2]', '--url', url]),
    ])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('params-json is not valid JSON')
    expect(array.code).toBe(2)
    expect(array.stderr).toContain('must be a JSON object')
  })

  it('exits 2 for a URL that is not ws:// or wss://, and for half the credentials', async () => {
    const [http, half] = await Promise.all([
      runCli(['call', 'public/get_time', '--url', 'https://www.deribit.com/api/v2']),
      runCli(['call', 'public/get_time'], cleanEnv({ DERIBIT_URL: 'ws://127.0.0.1:1/ws', DERIBIT_CLIENT_ID: 'abc' })),
    ])
    expect(http.code).toBe(2)
    expect(http.stderr).toContain('ws:// or wss://')
    expect(half.code).toBe(2)
    expect(half.stderr).toContain('DERIBIT_CLIENT_SECRET')
  })

  it('never prints a secret from the environment in an error', async () => {
    const port = await closedPort()
    const secret = 'super-secret-value-1234'
    const run = await runCli(
      ['call', 'private/get_account_summary', '{"currency":"BTC"}'],
      cleanEnv({
        DERIBIT_URL: `ws://127.0.0.1:${port}/ws/api/v2`,
        DERIBIT_CLIENT_ID: 'id',
        DERIBIT_CLIENT_SECRET: secret,
      }),
    )
    expect(run.code).toBe(1)
    expect(run.stdout + run.stderr).not.toContain(secret)
  })
})

// Alone, not among the concurrent spawns above, so the timing measures the CLI and not the queue.
describe('deribit-session against an unreachable URL', () => {
  it('fails fast with exit 1 and the reason when the URL is unreachable (flag or DERIBIT_URL)', async () => {
    const port = await closedPort()
    const url = `ws://127.0.0.1:${port}/ws/api/v2`
    const [viaFlag, viaEnv] = await Promise.all([
      runCli(['call', 'public/get_time', '--url', url, '--timeout', '20000']),
      runCli(['watch', 'trades.BTC-PERPETUAL.100ms', '--timeout', '20000'], cleanEnv({ DERIBIT_URL: url })),
    ])
    for (const run of [viaFlag, viaEnv]) {
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(`cannot reach ${url}: connection refused`)
      // Far under the 20 s connect deadline: a refused connection is not retried until the deadline.
      expect(run.ms).toBeLessThan(8000)
    }
  })
})
