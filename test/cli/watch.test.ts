import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/client.js'
import type { Order } from '../../src/protocol/types.js'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import { cleanEnv, finished, readLines, runCli, spawnCli } from './cliProcess.js'

describe.concurrent('deribit-session watch', () => {
  let sim: Simulator
  let account: ReturnType<Simulator['createAccount']>
  beforeAll(async () => {
    sim = await startSimulator({ marketRateHz: 100 })
    account = sim.createAccount()
  })
  afterAll(() => sim.close())

  it('prints NDJSON with --json on the embedded simulator, and exits 0 on Ctrl-C', async () => {
    const child = spawnCli(['watch', '--json', 'trades.BTC-PERPETUAL.100ms', 'book.BTC-PERPETUAL.100ms'])
    const done = finished(child)
    const lines = await readLines(child, 3, 18_000) // generous: it starts a simulator of its own
    for (const line of lines) {
      const message = JSON.parse(line) as { channel: string; data: unknown }
      expect(['trades.BTC-PERPETUAL.100ms', 'book.BTC-PERPETUAL.100ms']).toContain(message.channel)
      expect(message.data).toBeDefined()
    }
    child.kill('SIGINT')
    const run = await done
    expect(run.code).toBe(0)
    // NDJSON mode keeps stderr to the one line saying where the data came from.
    expect(run.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^deribit-session: .* embedded simulator at ws:/),
    ])
  })

  it('prints one readable line per notification and stops after --count', async () => {
    const run = await runCli(['watch', '--count', '2', 'book.BTC-PERPETUAL.100ms', '--url', sim.url], cleanEnv())
    expect(run.code).toBe(0)
    const lines = run.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}book\.BTC-PERPETUAL\.100ms {2}snapshot #\d+ bids \d+ asks \d+/)
    expect(lines[1]).toMatch(/book\.BTC-PERPETUAL\.100ms {2}change #\d+/)
    expect(run.stderr).toContain(`watching book.BTC-PERPETUAL.100ms on ${sim.url}`)
  })

  it("streams a private channel with the environment's API key: an order placed elsewhere shows up", async () => {
    const env = cleanEnv({
      DERIBIT_URL: sim.url,
      DERIBIT_CLIENT_ID: account.clientId,
      DERIBIT_CLIENT_SECRET: account.clientSecret,
    })
    const child = spawnCli(['watch', '--json', '--count', '1', 'user.orders.any.any.raw'], env)
    const done = finished(child)
    await using trader = new DeribitClient({ url: sim.url, credentials: account })
    await trader.connect()
    const ticker = await trader.call('public/ticker', { instrument_name: 'BTC-PERPETUAL' })
    const price = Math.floor(((ticker.best_bid_price ?? ticker.mark_price) * 0.5) / 0.5) * 0.5
    // The watcher may not be subscribed yet: place orders until one shows up.
    const placing = (async () => {
      for (let i = 0; i < 40 && child.exitCode === null; i++) {
        await trader.buy({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'limit', price, label: `cli-${i}` })
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    })()
    const run = await done
    await placing
    expect(run.code).toBe(0)
    const message = JSON.parse(run.stdout) as { channel: string; data: { label: string; order_state: string } }
    expect(message.channel).toBe('user.orders.any.any.raw')
    expect(message.data.label).toMatch(/^cli-\d+$/)
    expect(run.stdout + run.stderr).not.toContain(account.clientSecret)
  })

  it("shows a market order's fill at its average price, not at the band price", async () => {
    const trading = sim.createAccount()
    const env = cleanEnv({
      DERIBIT_URL: sim.url,
      DERIBIT_CLIENT_ID: trading.clientId,
      DERIBIT_CLIENT_SECRET: trading.clientSecret,
    })
    const child = spawnCli(['watch', '--count', '1', 'user.orders.any.any.raw'], env)
    const done = finished(child)
    await using trader = new DeribitClient({ url: sim.url, credentials: trading })
    await trader.connect()
    const placed: Order[] = []
    // The watcher may not be subscribed yet: trade until one fill shows up.
    const placing = (async () => {
      for (let i = 0; i < 40 && child.exitCode === null; i++) {
        placed.push((await trader.buy({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })).order)
        await new Promise((resolve) => setTimeout(resolve, 250))
      }
    })()
    const run = await done
    await placing
    expect(run.code).toBe(0)
    const order = placed.find((o) => run.stdout.includes(o.order_id))
    expect(order?.average_price).toBeGreaterThan(0)
    if (!order) return
    expect(order.price).not.toBe(order.average_price) // the band, which the line must not show
    expect(run.stdout).toContain(
      `${order.order_id} filled buy 10 market BTC-PERPETUAL filled 10 @ ${order.average_price}`,
    )
    expect(run.stdout).not.toContain(String(order.price))
  })

  it('exits 0 when the reader of the pipe goes away', async () => {
    const child = spawnCli(['watch', '--json', 'book.BTC-PERPETUAL.100ms', '--url', sim.url])
    const done = finished(child)
    await readLines(child, 1)
    child.stdout.destroy()
    const run = await done
    expect(run.code).toBe(0)
  })
})
