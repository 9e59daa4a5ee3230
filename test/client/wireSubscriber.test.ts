import { describe, expect, it } from 'vitest'
import { WireSubscriber } from '../../src/client/wireSubscriber.js'
import { SubscriptionRegistry } from '../../src/subscriptions/subscriptionRegistry.js'

/** An exchange that lower-cases some names in its answer, as Deribit does for `user.portfolio.*` (§5). */
function lowerCasingExchange() {
  const requests: Array<{ method: string; channels: string[] }> = []
  const rpc = {
    call: async <T>(method: string, params?: Record<string, unknown>): Promise<T> => {
      const channels = (params?.channels as string[]) ?? []
      requests.push({ method, channels })
      return channels.filter((c) => !c.startsWith('nosuch')).map((c) => c.toLowerCase()) as T
    },
  }
  return { rpc, requests }
}

describe('WireSubscriber', () => {
  it('takes a channel echoed in another case as confirmed, and refuses only what the exchange left out', async () => {
    const registry = new SubscriptionRegistry({ initialIdentity: 'subject:1' })
    registry.add(['user.portfolio.BTC', 'nosuch.channel'], () => {}, 'subject:1')
    const { rpc, requests } = lowerCasingExchange()
    const wire = new WireSubscriber(rpc, registry.subscribedOnWire, (c) => registry.canonicalChannel(c))
    const result = await wire.subscribe(['user.portfolio.BTC', 'nosuch.channel'], { authenticated: true, epoch: 1 })
    expect(result).toEqual({ confirmed: ['user.portfolio.BTC'], rejected: ['nosuch.channel'] })
    // Confirmed once per connection: asking again sends nothing; a new connection starts empty.
    await wire.subscribe(['user.portfolio.BTC'], { authenticated: true, epoch: 1 })
    expect(requests).toHaveLength(1)
    await wire.subscribe(['user.portfolio.BTC'], { authenticated: true, epoch: 2 })
    expect(requests).toHaveLength(2)
    wire.forgetPrivate()
    expect(registry.subscribedOnWire.has('user.portfolio.BTC')).toBe(false)
  })

  it('confirms channels echoed in another order, and refuses one left out of an otherwise ordered answer', async () => {
    const registry = new SubscriptionRegistry({ initialIdentity: 'subject:1' })
    const channels = ['ticker.BTC-PERPETUAL.raw', 'trades.BTC-PERPETUAL.raw', 'user.orders.any.any.raw']
    registry.add(channels, () => {}, 'subject:1')
    let answer = (asked: string[]): string[] => [...asked].reverse()
    const rpc = {
      call: async <T>(_m: string, params?: Record<string, unknown>) => answer(params?.channels as string[]) as T,
    }
    const wire = new WireSubscriber(rpc, registry.subscribedOnWire, (c) => registry.canonicalChannel(c))
    expect(await wire.subscribe(channels, { authenticated: true, epoch: 1 })).toEqual({
      confirmed: channels,
      rejected: [],
    })
    answer = (asked) => asked.slice(0, 2)
    const next = await wire.subscribe(channels, { authenticated: true, epoch: 2 })
    expect(next).toEqual({ confirmed: channels.slice(0, 2), rejected: ['user.orders.any.any.raw'] })
    expect(registry.subscribedOnWire.has('user.orders.any.any.raw')).toBe(false)
  })

  it('sends a channel already in flight only once, and an answer from an old socket frees nothing of the new one', async () => {
    const registry = new SubscriptionRegistry({ initialIdentity: 'subject:1' })
    const asked: Array<{ channels: string[]; answer: () => void }> = []
    const rpc = {
      call: <T>(_m: string, params?: Record<string, unknown>): Promise<T> =>
        new Promise<T>((resolve) => {
          const channels = params?.channels as string[]
          asked.push({ channels, answer: () => resolve(channels as T) })
        }),
    }
    const wire = new WireSubscriber(rpc, registry.subscribedOnWire, (c) => c)
    const a = 'trades.BTC-PERPETUAL.raw'
    const b = 'ticker.BTC-PERPETUAL.raw'
    const first = wire.subscribe([a, b], { authenticated: true, epoch: 1 })
    // The same channels while the first request waits: only what is not in flight goes out.
    const second = wire.subscribe([a, 'user.orders.any.any.raw'], { authenticated: true, epoch: 1 })
    expect(asked.map((r) => r.channels)).toEqual([[a, b], ['user.orders.any.any.raw']])
    // A new socket: everything is asked again, once.
    const third = wire.subscribe([a, b], { authenticated: true, epoch: 2 })
    expect(asked[2]?.channels).toEqual([a, b])
    // The old socket's answers come in late: they confirm nothing and free nothing of epoch 2.
    asked[0]?.answer()
    asked[1]?.answer()
    expect(await first).toEqual({ confirmed: [], rejected: [] })
    await second
    const fourth = wire.subscribe([a, b], { authenticated: true, epoch: 2 })
    expect(asked).toHaveLength(3)
    expect(await fourth).toEqual({ confirmed: [], rejected: [] })
    asked[2]?.answer()
    expect(await third).toEqual({ confirmed: [a, b], rejected: [] })
    expect(registry.subscribedOnWire.has(a) && registry.subscribedOnWire.has(b)).toBe(true)
    // Confirmed: asking again sends nothing.
    await wire.subscribe([a], { authenticated: true, epoch: 2 })
    expect(asked).toHaveLength(3)
  })

  it('frees the channels of a failed request, so that the next subscribe asks for them again', async () => {
    const registry = new SubscriptionRegistry({ initialIdentity: 'subject:1' })
    let fail = true
    let sent = 0
    const rpc = {
      call: async <T>(_m: string, params?: Record<string, unknown>): Promise<T> => {
        sent++
        if (fail) throw new Error('socket closed')
        return params?.channels as T
      },
    }
    const wire = new WireSubscriber(rpc, registry.subscribedOnWire, (c) => c)
    await expect(wire.subscribe(['trades.BTC-PERPETUAL.raw'], { authenticated: true, epoch: 1 })).rejects.toThrow()
    fail = false
    expect(await wire.subscribe(['trades.BTC-PERPETUAL.raw'], { authenticated: true, epoch: 1 })).toEqual({
      confirmed: ['trades.BTC-PERPETUAL.raw'],
      rejected: [],
    })
    expect(sent).toBe(2)
  })
})
