import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/index.js'
import { startSimulator } from '../../src/simulator/index.js'

/** A port nothing listens on: bound, read, released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe('connect() fails fast with its cause', () => {
  it('a refused connection rejects NOT_CONNECTED within the first attempt, naming ECONNREFUSED', async () => {
    const client = new DeribitClient({ url: `ws://127.0.0.1:${await closedPort()}/ws/api/v2` })
    const started = Date.now()
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(Date.now() - started).toBeLessThan(2000)
    expect(error).toMatchObject({ code: 'NOT_CONNECTED' })
    expect(String((error as Error).message)).toMatch(/ECONNREFUSED/)
    expect((error as Error).cause).toBeInstanceOf(Error)
    expect(client.state).toBe('closed')
  })

  it('an HTTP status instead of a WebSocket upgrade says so', async () => {
    await using sim = await startSimulator()
    const client = new DeribitClient({ url: sim.url.replace('/ws/api/v2', '/not/the/api') })
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'NOT_CONNECTED' })
    expect(String((error as Error).message)).toMatch(/\d{3}/)
  })

  it('an unresolvable host rejects at once, naming the DNS failure', async () => {
    const client = new DeribitClient({ url: 'ws://no-such-host.invalid/ws/api/v2' })
    const started = Date.now()
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(Date.now() - started).toBeLessThan(5000)
    expect(error).toMatchObject({ code: 'NOT_CONNECTED' })
    expect(String((error as Error).message)).toMatch(/no-such-host\.invalid.*(ENOTFOUND|EAI_AGAIN)/)
    expect((error as Error).cause).toBeInstanceOf(Error)
    expect(client.state).toBe('closed')
  })

  it('a TLS failure (wss:// to a server that does not speak TLS) says so', async () => {
    await using sim = await startSimulator()
    const client = new DeribitClient({ url: sim.url.replace('ws://', 'wss://') })
    const error = await client.connect().then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'NOT_CONNECTED' })
    expect(String((error as Error).message)).toMatch(/TLS/)
    expect((error as Error).cause).toBeInstanceOf(Error)
  })

  it('with keepRetrying it waits for the exchange to come up', async () => {
    const port = await closedPort()
    const client = new DeribitClient({
      url: `ws://127.0.0.1:${port}/ws/api/v2`,
      reconnect: { initialDelayMs: 50, maxDelayMs: 100 },
    })
    const connecting = client.connect({ keepRetrying: true, timeoutMs: 10_000 })
    await new Promise((resolve) => setTimeout(resolve, 300))
    await using sim = await startSimulator({ port })
    await connecting
    expect(client.state).toBe('ready')
    expect(sim.stats.connectionsOpened).toBe(1)
    await client.close()
  })

  it('calls before connect() fail at once with NOT_CONNECTED', async () => {
    const client = new DeribitClient({ url: 'ws://127.0.0.1:9/ws/api/v2' })
    const started = Date.now()
    await expect(client.call('public/get_time')).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
    await expect(client.buy({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })).rejects.toMatchObject({
      code: 'NOT_CONNECTED',
    })
    expect(Date.now() - started).toBeLessThan(1000)
    expect(() => new DeribitClient({} as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})
