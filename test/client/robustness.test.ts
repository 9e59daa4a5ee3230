import { Writable } from 'node:stream'
import { inspect } from 'node:util'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/client.js'
import type { DeribitError } from '../../src/errors.js'
import type { ChannelName } from '../../src/protocol/channelNames.js'
import type { Logger } from '../../src/transport/logger.js'
import { restingBid, startWorld, waitFor } from './harness.js'

function recordingLogger(lines: string[]): Logger {
  const log = (level: string) => (fields: Record<string, unknown>, msg: string) => {
    lines.push(`${level} ${msg} ${JSON.stringify(fields)}`)
  }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}

describe('client robustness', () => {
  it('never shows tokens or the secret in inspect, JSON, errors or logs', async () => {
    const lines: string[] = []
    await using world = await startWorld({ client: { logger: recordingLogger(lines) } })
    const { client, sim, account, subA } = world
    const errors: string[] = []
    client.on('error', (e) => errors.push(inspect(e, { depth: 10 })))
    await client.connect()
    await client.exchangeToken(subA)
    await client.refreshToken()
    sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    await waitFor(() => client.state === 'ready', 'reconnect', 8000)
    await client.callUntyped('private/no_such_method').catch((e: unknown) => errors.push(inspect(e, { depth: 10 })))
    const secrets = [account.clientSecret, ...client.sessions.flatMap((s) => [s.accessToken, s.refreshToken])]
    const shown = [
      inspect(client, { depth: 10, showHidden: true }),
      JSON.stringify(client),
      inspect(client.session, { depth: 10, showHidden: true }),
      JSON.stringify(client.sessions),
      ...errors,
      ...lines,
    ].join('\n')
    expect(lines.length).toBeGreaterThan(0)
    for (const secret of secrets) expect(shown).not.toContain(secret)
  })

  it('a pino logger passed as it is gets every line’s fields as properties, and never a secret', async () => {
    const written: string[] = []
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString())
        done()
      },
    })
    const logger = pino({ level: 'debug' }, destination)
    await using world = await startWorld({ client: { logger } })
    const { client, sim, account, subA } = world
    await client.connect()
    await client.exchangeToken(subA)
    await client.refreshToken()
    sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    const records = () =>
      written
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>)
    await waitFor(() => records().some((r) => r.msg === 'socket open' && r.epoch === 2), 'reconnect', 8000)
    await waitFor(() => client.state === 'ready', 'ready again', 8000)
    await client.callUntyped('private/no_such_method').catch(() => undefined)
    expect(records().every((r) => typeof r.msg === 'string' && r.msg.length > 0)).toBe(true)
    // The fields arrive as the line's properties (in the reverse order, pino would drop them).
    expect(records()).toContainEqual(expect.objectContaining({ msg: 'socket open', epoch: 2 }))
    expect(records()).toContainEqual(expect.objectContaining({ msg: 'socket closed', code: 1006, willReconnect: true }))
    const secrets = [account.clientSecret, ...client.sessions.flatMap((s) => [s.accessToken, s.refreshToken])]
    for (const secret of secrets) expect(written.join('')).not.toContain(secret)
  })

  it('a refused API key stops the client with `revoked` instead of reconnecting in a loop', async () => {
    await using world = await startWorld({ client: { credentials: { clientId: 'nobody', clientSecret: 'wrong' } } })
    const { client, sim } = world
    const revoked: DeribitError[] = []
    client.on('revoked', (e) => revoked.push(e))
    await expect(client.connect()).rejects.toMatchObject({ code: 'REVOKED', exchangeCode: 13004 })
    expect(revoked).toHaveLength(1)
    expect(client.state).toBe('closed')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(sim.stats.connectionsOpened).toBe(1)
  })

  it('survives malformed frames from the exchange and keeps pending calls intact', async () => {
    await using world = await startWorld()
    const { client, sim } = world
    const protocolErrors: DeribitError[] = []
    client.on('error', (e) => protocolErrors.push(e))
    await client.connect()
    sim.faults.delayResponses(200)
    const pending = client.call('public/test')
    for (const text of [
      '{not json',
      '{"jsonrpc":"2.0","id":"x","result":1,"error":{"code":1,"message":"m"}}',
      '{"__proto__":{"polluted":1},"jsonrpc":"2.0","method":"subscription","params":{"channel":"a","data":1}}',
      '{"jsonrpc":"2.0","id":987654,"result":1}',
    ]) {
      sim.faults.sendMalformed('all', text)
    }
    expect((await pending).version).toBeTypeOf('string')
    sim.faults.delayResponses(0)
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(client.state).toBe('ready')
    expect(protocolErrors.length).toBeGreaterThanOrEqual(3)
    expect(protocolErrors.every((e) => e.code === 'PROTOCOL')).toBe(true)
  })

  it('a book gap emits `gap` and rebuilds the local book from a fresh snapshot', async () => {
    await using world = await startWorld()
    const { client, sim } = world
    await client.connect()
    const book = await client.orderBook('BTC-PERPETUAL', { interval: 'raw' })
    await waitFor(() => book.bestBid() !== undefined, 'the snapshot')
    const gaps: string[] = []
    const resyncs: string[] = []
    let expectedPrev: number | undefined
    client.on('gap', (e) => {
      gaps.push(e.channel)
      expectedPrev = e.expectedPrevChangeId
    })
    client.on('resubscribed', (e) => {
      if (e.reason === 'gap') resyncs.push(...e.channels)
    })
    sim.faults.skipChangeId('BTC-PERPETUAL')
    // Changes keep coming while the client resyncs: each would be a "gap" against the old chain.
    await sim.market.burstBookChanges('BTC-PERPETUAL', 500)
    await waitFor(() => gaps.length === 1, 'the gap event')
    expect(gaps).toEqual(['book.BTC-PERPETUAL.raw'])
    expect(expectedPrev).toBeTypeOf('number')
    const afterGap = book.changeId
    await waitFor(() => book.bestBid() !== undefined && book.changeId !== afterGap && !book.stale, 'the rebuilt book')
    // With the market still, the rebuilt book equals the exchange's book level by level.
    sim.faults.pauseMarket()
    await new Promise((resolve) => setTimeout(resolve, 100))
    const exchangeBook = await client.call('public/get_order_book', { instrument_name: 'BTC-PERPETUAL', depth: 5 })
    expect(gaps).toHaveLength(1)
    expect(resyncs).toEqual(['book.BTC-PERPETUAL.raw'])
    expect(book.bids(5).map(([p, a]) => [p, a])).toEqual(exchangeBook.bids)
    expect(book.asks(5).map(([p, a]) => [p, a])).toEqual(exchangeBook.asks)
    await book.close()
  })

  it('50 concurrent private calls at token expiry cause exactly one refresh', async () => {
    await using world = await startWorld()
    const { client, sim } = world
    await client.connect()
    const refreshesBefore = sim.stats.authByGrant.refresh_token
    sim.faults.expireTokens('bot')
    const results = await Promise.all(
      Array.from({ length: 50 }, () => client.call('private/get_account_summary', { currency: 'BTC' })),
    )
    expect(results.every((r) => r.id === world.account.mainAccountId)).toBe(true)
    expect(sim.stats.authByGrant.refresh_token - refreshesBefore).toBe(1)
  })

  it('a refused refresh falls back to signature auth once and carries on', async () => {
    await using world = await startWorld()
    const { client, sim } = world
    await client.connect()
    await restingBid(client, 'survives-revocation')
    sim.faults.revokeSession('bot')
    const signaturesBefore = sim.stats.authByGrant.client_signature
    const after = await client.refreshToken()
    expect(after.sessionName).toBe('bot')
    expect(sim.stats.authByGrant.client_signature - signaturesBefore).toBe(1)
    expect(client.state).toBe('ready')
    expect(client.orders.byLabel('survives-revocation')).toHaveLength(1)
  })

  it('close() is final: no reconnect, calls fail with CLOSED, timers released', async () => {
    await using world = await startWorld()
    const { client, sim } = world
    await client.connect()
    await client.close()
    await expect(client.call('public/test')).rejects.toMatchObject({ code: 'CLOSED' })
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(sim.stats.connectionsOpened).toBe(1)
    expect(new DeribitClient({ url: sim.url }).state).toBe('idle')
  })
})

describe('subscribe', () => {
  it('a subscribe with a refused channel fails with RPC_ERROR 11052 and leaves nothing subscribed', async () => {
    await using world = await startWorld()
    const { client, sim } = world
    await client.connect()
    // A name the types refuse, forced through: the exchange must refuse it at run time too.
    await expect(
      client.subscribe(['ticker.BTC-PERPETUAL.100ms', 'nosuch.channel' as ChannelName]),
    ).rejects.toMatchObject({
      code: 'RPC_ERROR',
      exchangeCode: 11052,
      data: { channels: ['nosuch.channel'] },
    })
    // Only the order tracker's own channel stays: nothing of the refused call.
    expect(client.channels).toEqual(['user.orders.any.any.raw'])
    const open = sim.log.connections().find((c) => c.open)!
    await waitFor(
      () => sim.subscriptionsOf(open.id).join() === 'user.orders.any.any.raw',
      'the accepted channel unsubscribed again',
    )
  })
})
