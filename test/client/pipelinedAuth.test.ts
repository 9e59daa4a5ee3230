import { describe, expect, it } from 'vitest'
import { TransitionFailedError } from '../../src/errors.js'
import type { ChannelName } from '../../src/protocol/channelNames.js'
import type { Simulator } from '../../src/simulator/index.js'
import { PRIVATE, PUBLIC, startWorld, waitFor } from './harness.js'

/** How long the simulator holds every answer: a request written after an answer comes this much later. */
const ANSWER_DELAY_MS = 400

/** The newest connection's requests: method, arrival time, and the error code it drew. */
function requests(
  sim: Simulator,
): Array<{ method: string; channels: unknown; at: number; errorCode: number | undefined }> {
  const id = sim.log.connections().at(-1)?.id
  if (id === undefined) return []
  return sim.log.framesFrom(id).map((f) => {
    const frame = JSON.parse(f.text) as { method?: unknown; params?: { channels?: unknown } }
    return { method: String(frame.method), channels: frame.params?.channels, at: f.at, errorCode: f.errorCode }
  })
}

/** Arrival of each `methods` request after the last `public/auth` before it. */
function behindAuth(sim: Simulator, methods: readonly string[]): Record<string, number> {
  const frames = requests(sim)
  const auth = frames.findLast((f) => f.method === 'public/auth')
  expect(auth).toBeDefined()
  const after: Record<string, number> = {}
  for (const method of methods) {
    const frame = frames.find((f) => f.method === method && f.at >= (auth?.at ?? 0))
    expect(frame, method).toBeDefined()
    after[method] = (frame?.at ?? 0) - (auth?.at ?? 0)
  }
  return after
}

function serverChannels(sim: Simulator): string[] {
  const id = sim.log.connections().at(-1)?.id
  return id === undefined ? [] : [...sim.subscriptionsOf(id)].sort()
}

describe('requests that need the new identity ride behind its authentication', () => {
  it('a cold connect asks for the main account, subscribes and reconciles without waiting for the sign-in answer', async () => {
    await using world = await startWorld({ client: { requestTimeoutMs: 5_000 } })
    const { client, sim } = world
    await client.subscribe([...PUBLIC, ...PRIVATE], () => undefined)
    sim.faults.delayResponses(ANSWER_DELAY_MS)
    await client.connect()
    const after = behindAuth(sim, ['private/get_account_summary', 'private/subscribe', 'private/get_open_orders'])
    for (const [method, ms] of Object.entries(after)) expect(ms, method).toBeLessThan(ANSWER_DELAY_MS / 2)
    expect(serverChannels(sim)).toEqual([...client.channels].sort())
  })

  it('a reconnect resubscribes, reconciles and sets cancel-on-disconnect in the flight of its auth', async () => {
    await using world = await startWorld({ client: { requestTimeoutMs: 5_000, cancelOnDisconnect: true } })
    const { client, sim } = world
    await client.subscribe([...PUBLIC, ...PRIVATE], () => undefined)
    await client.connect()
    sim.faults.delayResponses(ANSWER_DELAY_MS)
    const back = new Promise<void>((resolve) => {
      const off = client.on('transition', (e) => {
        if (e.cause !== 'reconnect') return
        off()
        resolve()
      })
    })
    sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    await back
    const after = behindAuth(sim, [
      'private/subscribe',
      'private/get_open_orders',
      'private/enable_cancel_on_disconnect',
    ])
    for (const [method, ms] of Object.entries(after)) expect(ms, method).toBeLessThan(ANSWER_DELAY_MS / 2)
    expect(requests(sim).filter((f) => f.method === 'private/subscribe')).toHaveLength(1)
    expect(serverChannels(sim)).toEqual([...client.channels].sort())
  })

  it('exchange, switch and fork write the private subscribe and the open-order query behind their auth', async () => {
    await using world = await startWorld({ client: { requestTimeoutMs: 5_000 } })
    const { client, sim, subA } = world
    await client.subscribe([...PUBLIC, ...PRIVATE], () => undefined)
    await client.connect()
    sim.faults.delayResponses(ANSWER_DELAY_MS)
    const main = client.session?.id
    const run = async (transition: () => Promise<unknown>) => {
      await transition()
      const after = behindAuth(sim, ['private/subscribe', 'private/get_open_orders'])
      for (const [method, ms] of Object.entries(after)) expect(ms, method).toBeLessThan(ANSWER_DELAY_MS / 2)
      expect(serverChannels(sim)).toEqual([...client.channels].sort())
    }
    await run(() => client.exchangeToken(subA))
    expect(client.session?.subjectId).toBe(subA)
    await run(() => client.switchSession(main as string))
    await run(() => client.forkToken('forked'))
  })
})

describe('a subscribe behind a refused authentication is undone', () => {
  it('a refused exchange auth: what the subscribe added under the old session is taken back', async () => {
    await using world = await startWorld({ client: { requestTimeoutMs: 5_000 } })
    const { client, sim, subA } = world
    await client.subscribe([...PUBLIC, ...PRIVATE], () => undefined)
    await client.connect()
    const main = client.session?.id as string
    // The subaccount's identity gets a channel of its own, which the main account does not want.
    await client.exchangeToken(subA)
    const own = 'user.trades.future.BTC.raw' as ChannelName
    const subOnly = await client.subscribe([own], () => undefined)
    const sub = client.session?.id as string
    await client.switchSession(main)
    expect(client.channels).not.toContain(own)
    sim.faults.failNext('public/auth', 1, { code: 13009, message: 'unauthorized' })
    await expect(client.switchSession(sub)).rejects.toBeInstanceOf(TransitionFailedError)
    expect(client.session?.id).toBe(main)
    // The subscribe went out behind the refused auth and was taken under the main session, then taken back.
    await waitFor(() => !serverChannels(sim).includes(own), 'the stray channel taken back')
    const frames = requests(sim)
    const refused = frames.findLastIndex((f) => f.method === 'public/auth')
    expect(frames[refused]?.errorCode).toBe(13009)
    const behind = frames.slice(refused + 1)
    expect(behind[0]?.method).toBe('private/subscribe')
    expect(behind[0]?.errorCode).toBeUndefined()
    expect(behind[0]?.channels).toContain(own)
    expect(behind.find((f) => f.method === 'private/unsubscribe')?.channels).toEqual([own])
    expect(serverChannels(sim)).toEqual([...client.channels].sort())
    expect(subOnly.closed).toBe(false)
    // The subaccount still gets its channel back when it is active again.
    await client.switchSession(sub)
    expect(serverChannels(sim)).toContain(own)
    expect(serverChannels(sim)).toEqual([...client.channels].sort())
  })

  it('a refused refresh token on reconnect: signature auth follows and every channel comes back, none ended', async () => {
    await using world = await startWorld({ client: { requestTimeoutMs: 5_000 } })
    const { client, sim } = world
    const errors: unknown[] = []
    client.on('error', (error) => errors.push(error))
    const subscription = await client.subscribe([...PUBLIC, ...PRIVATE], () => undefined)
    await client.connect()
    sim.faults.failNext('public/auth', 1, { code: 13009, message: 'unauthorized' })
    const back = new Promise<void>((resolve) => {
      const off = client.on('transition', (e) => {
        if (e.cause !== 'reconnect') return
        off()
        resolve()
      })
    })
    sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    await back
    const frames = requests(sim)
    // The first subscribe rode behind the refused auth and was refused with it; the second counts.
    const subscribes = frames.filter((f) => f.method === 'private/subscribe')
    expect(subscribes[0]?.errorCode).toBe(13009)
    expect(subscribes.at(-1)?.errorCode).toBeUndefined()
    expect(serverChannels(sim)).toEqual([...client.channels].sort())
    expect(subscription.closed).toBe(false)
    expect(errors).toEqual([])
  })
})
