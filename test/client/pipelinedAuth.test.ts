import { describe, expect, it } from 'vitest'
import { TransitionFailedError } from '../../src/errors.js'
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
  it('a cold connect asks for the main account behind the sign-in, and subscribes once the account is known', async () => {
    await using world = await startWorld({ client: { requestTimeoutMs: 5_000 } })
    const { client, sim } = world
    await client.subscribe([...PUBLIC, ...PRIVATE], () => undefined)
    sim.faults.delayResponses(ANSWER_DELAY_MS)
    await client.connect()
    const after = behindAuth(sim, ['private/get_account_summary', 'private/subscribe'])
    expect(after['private/get_account_summary']).toBeLessThan(ANSWER_DELAY_MS / 2)
    // Events of the account's channels are filed under its subject: it must be known first.
    expect(after['private/subscribe']).toBeGreaterThanOrEqual(ANSWER_DELAY_MS)
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

  it('a fork writes the private subscribe and the open-order query behind its auth; exchange and switch wait for it', async () => {
    await using world = await startWorld({ client: { requestTimeoutMs: 5_000 } })
    const { client, sim, subA } = world
    await client.subscribe([...PUBLIC, ...PRIVATE], () => undefined)
    await client.connect()
    sim.faults.delayResponses(ANSWER_DELAY_MS)
    const main = client.session?.id
    const run = async (transition: () => Promise<unknown>, behind: boolean) => {
      await transition()
      const after = behindAuth(sim, ['private/subscribe', 'private/get_open_orders'])
      for (const [method, ms] of Object.entries(after)) {
        // Another account's events could arrive before the client commits to it: those wait.
        if (behind) expect(ms, method).toBeLessThan(ANSWER_DELAY_MS / 2)
        else expect(ms, method).toBeGreaterThanOrEqual(ANSWER_DELAY_MS)
      }
      expect(serverChannels(sim)).toEqual([...client.channels].sort())
    }
    await run(() => client.exchangeToken(subA), false)
    expect(client.session?.subjectId).toBe(subA)
    await run(() => client.switchSession(main as string), false)
    await run(() => client.forkToken('forked'), true)
  })
})

describe('a subscribe behind a refused authentication', () => {
  it('a refused fork auth: the subscribe behind it was taken under the session kept, which goes on as it was', async () => {
    await using world = await startWorld({ client: { requestTimeoutMs: 5_000 } })
    const { client, sim } = world
    const subscription = await client.subscribe([...PUBLIC, ...PRIVATE], () => undefined)
    await client.connect()
    const before = client.session?.id
    sim.faults.failNext('public/auth', 1, { code: 13009, message: 'unauthorized' })
    await expect(client.forkToken('refused')).rejects.toBeInstanceOf(TransitionFailedError)
    expect(client.session?.id).toBe(before)
    const frames = requests(sim)
    const refused = frames.findLastIndex((f) => f.method === 'public/auth')
    expect(frames[refused]?.errorCode).toBe(13009)
    expect(frames[refused + 1]?.method).toBe('private/subscribe')
    expect(frames[refused + 1]?.errorCode).toBeUndefined()
    await waitFor(() => serverChannels(sim).length === client.channels.length, 'the subscriptions as they were')
    expect(serverChannels(sim)).toEqual([...client.channels].sort())
    expect(subscription.closed).toBe(false)
    // The session kept still works: a fork now succeeds and carries every channel.
    await client.forkToken('second')
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
