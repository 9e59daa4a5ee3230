import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import { cleanEnv, runCli } from './cliProcess.js'

describe.concurrent('deribit-session call', () => {
  let sim: Simulator
  let env: NodeJS.ProcessEnv
  let secret: string
  beforeAll(async () => {
    sim = await startSimulator()
    const account = sim.createAccount()
    secret = account.clientSecret
    env = cleanEnv({ DERIBIT_URL: sim.url, DERIBIT_CLIENT_ID: account.clientId, DERIBIT_CLIENT_SECRET: secret })
  })
  afterAll(() => sim.close())

  it('prints the result of public/get_time as JSON against the embedded simulator', async () => {
    const run = await runCli(['call', 'public/get_time'])
    expect(run.code).toBe(0)
    const time = JSON.parse(run.stdout) as unknown
    expect(typeof time).toBe('number')
  })

  it('passes params and prints an object result, compact on request', async () => {
    const run = await runCli(['call', 'public/ticker', '{"instrument_name":"BTC-PERPETUAL"}', '--compact'], env)
    expect(run.code).toBe(0)
    expect(run.stdout.trim().split('\n')).toHaveLength(1)
    expect(JSON.parse(run.stdout)).toMatchObject({ instrument_name: 'BTC-PERPETUAL' })
  })

  it('prints a JSON-RPC error as code and message on stderr and exits 1', async () => {
    const run = await runCli(['call', 'public/no_such_method'], env)
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr).toMatch(/^error -32601: /)
  })

  it('calls private methods with DERIBIT_CLIENT_ID / DERIBIT_CLIENT_SECRET and --url', async () => {
    const run = await runCli(['call', 'private/get_account_summary', '{"currency":"BTC"}'], env)
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ currency: 'BTC' })
    expect(run.stdout + run.stderr).not.toContain(secret)
  })

  it('hints at the credentials when a private method fails without them', async () => {
    const run = await runCli(['call', 'private/get_account_summary', '{"currency":"BTC"}', '--url', sim.url])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('DERIBIT_CLIENT_ID')
  })

  it('redacts tokens in a result', async () => {
    const account = sim.createAccount()
    const params = JSON.stringify({
      grant_type: 'client_credentials',
      client_id: account.clientId,
      client_secret: account.clientSecret,
    })
    const run = await runCli(['call', 'public/auth', params, '--url', sim.url])
    expect(run.code).toBe(0)
    const result = JSON.parse(run.stdout) as Record<string, unknown>
    expect(result.access_token).toBe('[redacted]')
    expect(result.refresh_token).toBe('[redacted]')
    expect(result.expires_in).toBeGreaterThan(0)
  })

  it("reads params from stdin with '-'", async () => {
    const { spawnCli, finished } = await import('./cliProcess.js')
    const child = spawnCli(['call', 'public/get_order_book', '-', '--compact'], env)
    child.stdin.end('{"instrument_name":"BTC-PERPETUAL","depth":1}')
    const run = await finished(child)
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toMatchObject({ instrument_name: 'BTC-PERPETUAL' })
  })
})
