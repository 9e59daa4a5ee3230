import { describe, expect, it } from 'vitest'
import { UsageError } from '../../src/cli/cliErrors.js'
import { numberFlag, parseFlags } from '../../src/cli/flags.js'
import { cleanEnv, runCli } from './cliProcess.js'

const KEY = { DERIBIT_CLIENT_ID: 'my-real-key', DERIBIT_CLIENT_SECRET: 'my-real-secret' }

describe('deribit-session refuses to guess', () => {
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

describe('flag errors in plain words', () => {
  const WATCH = { json: { type: 'boolean' }, count: { type: 'string' }, url: { type: 'string' } } as const
  /** The UsageError message `parseFlags` + `numberFlag` give for `argv`, or 'ok'. */
  const complaint = (argv: string[], range: { min?: number; max?: number } = { min: 1 }): string => {
    try {
      const { values } = parseFlags('watch', argv, WATCH)
      numberFlag(values, 'count', 0, range)
      return 'ok'
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError)
      return (error as Error).message
    }
  }

  it.each([
    [['--count', '-1', 'x'], "--count needs a whole number of 1 or more, got '-1'"],
    [['--count=-3', 'x'], "--count needs a whole number of 1 or more, got '-3'"],
    [['--count', '-2.5'], "--count needs a whole number of 1 or more, got '-2.5'"],
    [['--count', 'lots'], "--count needs a whole number of 1 or more, got 'lots'"],
    [['--json=yes', 'x'], 'watch: --json is a switch and takes no value'],
    [['--url'], "watch: --url needs a value: --url VALUE (a value starting with '-' goes as --url=VALUE)"],
    [['--count', '--json', 'x'], 'watch: --count needs a value: --count VALUE'],
    [['--jsn', 'x'], "watch: unknown option '--jsn'; the options are --json, --count, --url, --help"],
    [['-x'], "watch: unknown option '-x'; the options are --json, --count, --url, --help"],
  ])('%j: %s', (argv, message) => {
    expect(complaint(argv)).toContain(message)
    expect(complaint(argv)).not.toMatch(/ambiguous|positional|ERR_/)
  })

  it('takes a negative number after a flag as its value where the range allows it', () => {
    expect(complaint(['--count', '-5', 'x'], { min: -10 })).toBe('ok')
    expect(complaint(['--count', '-50'], { min: -10, max: 10 })).toContain("from -10 to 10, got '-50'")
    expect(parseFlags('watch', ['--', '-1'], WATCH).positionals).toEqual(['-1'])
  })

  it('exits 2 with the message from the command line, before connecting anywhere', async () => {
    const run = await runCli(['call', 'public/get_time', '--timeout', '-5'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--timeout needs a whole number of 1 or more, got '-5'")
    expect(run.stderr).not.toContain('embedded simulator')
  })
})
