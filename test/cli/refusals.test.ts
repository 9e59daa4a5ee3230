import { describe, expect, it } from 'vitest'
import { cleanEnv, runCli } from './cliProcess.js'

const KEY = { DERIBIT_CLIENT_ID: 'my-real-key', DERIBIT_CLIENT_SECRET: 'my-real-secret' }

describe.concurrent('deribit-session refuses to guess', () => {
  it('prints its version with --version', async () => {
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default
    for (const flag of ['--version', '-v']) {
      const run = await runCli([flag])
      expect(run.code).toBe(0)
      expect(run.stdout).toBe(`${version}\n`)
    }
  })

  it('refuses a private call when an API key is set but no URL, instead of trading on the simulator', async () => {
    const run = await runCli(
      ['call', 'private/buy', '{"instrument_name":"BTC-PERPETUAL","amount":10,"type":"market"}'],
      cleanEnv(KEY),
    )
    expect(run.code).toBe(2)
    expect(run.stdout).toBe('')
    expect(run.stderr).toContain('refusing private/buy: DERIBIT_CLIENT_ID is set but there is no --url or DERIBIT_URL')
    expect(run.stderr).toContain('Set DERIBIT_URL')
    expect(run.stderr).not.toContain('my-real-secret')
  })

  it('refuses to watch user.* channels with a key but no URL; public channels still run, and say where', {
    timeout: 40_000,
  }, async () => {
    const [priv, pub] = await Promise.all([
      runCli(['watch', 'user.orders.any.any.raw', 'trades.BTC-PERPETUAL.100ms'], cleanEnv(KEY)),
      runCli(['watch', '--json', '--count', '1', 'book.BTC-PERPETUAL.100ms'], cleanEnv(KEY), 30_000),
    ])
    expect(priv.code).toBe(2)
    expect(priv.stderr).toContain('refusing watching user.orders.any.any.raw')
    expect(pub.code).toBe(0)
    expect(pub.stderr).toContain('embedded simulator')
  })

  it('says on stderr when a command runs on the embedded simulator', { timeout: 40_000 }, async () => {
    const embedded = await runCli(['call', 'public/get_time'], cleanEnv(), 30_000)
    expect(embedded.code).toBe(0)
    expect(embedded.stderr).toMatch(
      /^deribit-session: no --url or DERIBIT_URL: running on an embedded simulator at ws:\/\/127\.0\.0\.1:\d+\/ws\/api\/v2 with a throwaway account; nothing reaches an exchange\n$/,
    )
    expect(typeof JSON.parse(embedded.stdout)).toBe('number')
  })
})

describe.concurrent('deribit-session flag errors in plain words', () => {
  it.each([
    [['watch', '--count', '-1', 'trades.BTC-PERPETUAL.100ms'], "--count needs a whole number of 1 or more, got '-1'"],
    [['watch', '--count=-3', 'trades.BTC-PERPETUAL.100ms'], "--count needs a whole number of 1 or more, got '-3'"],
    [['call', 'public/get_time', '--timeout', '-5'], "--timeout needs a whole number of 1 or more, got '-5'"],
    [['simulator', '--port', '-1'], "--port needs a whole number from 0 to 65535, got '-1'"],
    [['sessions', 'list', '--ttl', '-60', '--store', 'file:x'], "--ttl needs a whole number of 0 or more, got '-60'"],
    [['watch', '--json=yes', 'x'], 'watch: --json is a switch and takes no value'],
    [['call', 'public/get_time', '--url'], 'call: --url needs a value: --url VALUE'],
    [['watch', '--count', '--json', 'x'], 'watch: --count needs a value: --count VALUE'],
    [['demo', '-x'], "demo: unknown option '-x'; the options are --json, --help"],
  ])('%j exits 2: %s', async (args, message) => {
    const run = await runCli(args)
    expect(run.code).toBe(2)
    expect(run.stderr).toContain(message)
    expect(run.stderr).not.toMatch(/ambiguous|positional|ERR_/)
    expect(run.stdout).toBe('')
  })
})
