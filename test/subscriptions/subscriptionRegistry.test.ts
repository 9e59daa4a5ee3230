import { describe, expect, it, vi } from 'vitest'
import { type NotificationHandler, SubscriptionRegistry } from '../../src/subscriptions/subscriptionRegistry.js'

const noop: NotificationHandler = () => {}

describe('SubscriptionRegistry', () => {
  it('reports only channels new to the scope, and only channels left with no handler', () => {
    const reg = new SubscriptionRegistry()
    const h1 = vi.fn<NotificationHandler>()
    const h2 = vi.fn<NotificationHandler>()
    expect(reg.add(['ticker.BTC-PERPETUAL.100ms', 'user.orders.any.any.raw'], h1, 'A').newChannels).toEqual([
      'ticker.BTC-PERPETUAL.100ms',
      'user.orders.any.any.raw',
    ])
    expect(reg.add(['ticker.BTC-PERPETUAL.100ms', 'trades.BTC-PERPETUAL.100ms'], h2, 'A').newChannels).toEqual([
      'trades.BTC-PERPETUAL.100ms',
    ])
    expect(reg.add(['user.orders.any.any.raw'], h2, 'B').newChannels).toEqual(['user.orders.any.any.raw'])
    expect(reg.remove(['ticker.BTC-PERPETUAL.100ms'], h1, 'A').goneChannels).toEqual([])
    expect(reg.remove(['ticker.BTC-PERPETUAL.100ms'], h2, 'A').goneChannels).toEqual(['ticker.BTC-PERPETUAL.100ms'])
    expect(reg.remove(['ticker.BTC-PERPETUAL.100ms', 'nope'], undefined, 'A').goneChannels).toEqual([])
    expect(reg.remove(['user.orders.any.any.raw'], undefined, 'A').goneChannels).toEqual(['user.orders.any.any.raw'])
    expect(reg.privateChannels('B')).toEqual(['user.orders.any.any.raw'])
    expect(reg.publicChannels()).toEqual(['trades.BTC-PERPETUAL.100ms'])
  })

  it('inherits the private set into a new identity and restores an identity’s own set', () => {
    const reg = new SubscriptionRegistry({ initialIdentity: 'main' })
    reg.add(['user.orders.any.any.raw', 'user.trades.any.any.raw', 'book.BTC-PERPETUAL.raw'], noop, 'main')
    expect(reg.adoptIdentity('main', 'sub12').privateChannels).toEqual([
      'user.orders.any.any.raw',
      'user.trades.any.any.raw',
    ])
    expect(reg.activeIdentity).toBe('sub12')
    reg.remove(['user.trades.any.any.raw'], undefined, 'sub12')
    reg.add(['user.portfolio.btc'], noop, 'sub12')
    expect(reg.privateChannels('main')).toEqual(['user.orders.any.any.raw', 'user.trades.any.any.raw'])
    expect(reg.adoptIdentity('sub12', 'main').privateChannels).toEqual([
      'user.orders.any.any.raw',
      'user.trades.any.any.raw',
    ])
    expect(reg.adoptIdentity('main', 'sub12').privateChannels).toEqual([
      'user.orders.any.any.raw',
      'user.portfolio.btc',
    ])
    expect(reg.desiredChannels()).toEqual(['user.orders.any.any.raw', 'user.portfolio.btc', 'book.BTC-PERPETUAL.raw'])
    expect(reg.publicChannels()).toEqual(['book.BTC-PERPETUAL.raw'])
  })

  it('a channel dispatched over and over reaches exactly its current handlers after every change', () => {
    const reg = new SubscriptionRegistry({ initialIdentity: 'A' })
    const first = vi.fn<NotificationHandler>()
    const second = vi.fn<NotificationHandler>()
    const channel = 'trades.BTC-PERPETUAL.raw'
    reg.add([channel], first, 'A')
    expect(reg.dispatch(channel, 1)).toBe(1)
    expect(reg.dispatch(channel, 2)).toBe(1)
    // Emptied, then desired again with a new handler: the old handler is gone for good.
    reg.remove([channel], first, 'A')
    expect(reg.dispatch(channel, 3)).toBe(0)
    reg.add([channel], second, 'A')
    expect(reg.dispatch(channel, 4)).toBe(1)
    reg.removeHandler(second)
    expect(reg.dispatch(channel, 5)).toBe(0)
    reg.add([channel], first, 'A')
    expect(first.mock.calls.map((c) => c[0])).toEqual([1, 2])
    expect(second.mock.calls.map((c) => c[0])).toEqual([4])
    // An echo in another case after a hit on the asked name still reports the asked name.
    expect(reg.dispatch(channel, 6)).toBe(1)
    expect(reg.dispatch('TRADES.btc-perpetual.RAW', 7)).toBe(1)
    expect(first.mock.calls.at(-1)).toEqual([7, channel, undefined])
    // A private channel: forgetting the active identity's set stops it at once.
    const priv = vi.fn<NotificationHandler>()
    reg.add(['user.orders.any.any.raw'], priv, 'A')
    expect(reg.dispatch('user.orders.any.any.raw', 8)).toBe(1)
    reg.forgetIdentity('A')
    expect(reg.dispatch('user.orders.any.any.raw', 9)).toBe(0)
    expect(priv).toHaveBeenCalledTimes(1)
  })

  it('dispatches private channels to the active identity only', () => {
    const reg = new SubscriptionRegistry({ initialIdentity: 'A' })
    const a = vi.fn<NotificationHandler>()
    const b = vi.fn<NotificationHandler>()
    reg.add(['user.orders.any.any.raw'], a, 'A')
    reg.add(['user.orders.any.any.raw'], b, 'B')
    reg.dispatch('user.orders.any.any.raw', 1, 'lbl')
    expect(a).toHaveBeenCalledWith(1, 'user.orders.any.any.raw', 'lbl')
    expect(b).not.toHaveBeenCalled()
    reg.adoptIdentity('A', 'B')
    expect(reg.dispatch('user.orders.any.any.raw', 2)).toBe(1)
    expect(b).toHaveBeenCalledWith(2, 'user.orders.any.any.raw', undefined)
    expect(a).toHaveBeenCalledTimes(1)
  })

  it('keeps dispatching when a handler throws and reports the error', () => {
    const errors: Array<[unknown, string]> = []
    const reg = new SubscriptionRegistry({ onHandlerError: (e, c) => errors.push([e, c]) })
    const before = vi.fn<NotificationHandler>()
    const after = vi.fn<NotificationHandler>()
    reg.add(['ticker.X-1.raw'], before, '')
    reg.add(
      ['ticker.X-1.raw'],
      () => {
        throw new Error('user bug')
      },
      '',
    )
    reg.add(['ticker.X-1.raw'], after, '')
    expect(reg.dispatch('ticker.X-1.raw', { p: 1 })).toBe(3)
    expect(before).toHaveBeenCalledTimes(1)
    expect(after).toHaveBeenCalledTimes(1)
    expect(errors).toHaveLength(1)
    expect(errors[0]?.[1]).toBe('ticker.X-1.raw')
    const throwingReporter = new SubscriptionRegistry({
      onHandlerError: () => {
        throw new Error('reporter bug')
      },
    })
    throwingReporter.add(
      ['a.b'],
      () => {
        throw new Error('x')
      },
      '',
    )
    expect(() => throwingReporter.dispatch('a.b', 1)).not.toThrow()
    expect(reg.dispatch('not.subscribed', 1)).toBe(0)
  })

  it('maps a server-echoed case back to the name the user asked for', () => {
    const reg = new SubscriptionRegistry()
    const h = vi.fn<NotificationHandler>()
    reg.add(['user.portfolio.BTC'], h, '')
    expect(reg.dispatch('user.portfolio.btc', 5)).toBe(1)
    expect(h).toHaveBeenCalledWith(5, 'user.portfolio.BTC', undefined)
    expect(reg.canonicalChannel('user.portfolio.btc')).toBe('user.portfolio.BTC')
  })

  it('removeHandler drops a handler everywhere and reports what is gone for the active identity', () => {
    const reg = new SubscriptionRegistry({ initialIdentity: 'A' })
    const h = vi.fn<NotificationHandler>()
    reg.add(['ticker.X-1.raw', 'user.orders.any.any.raw'], h, 'A')
    reg.add(['user.trades.any.any.raw'], h, 'B')
    reg.add(['ticker.X-1.raw'], noop, 'A')
    expect(reg.removeHandler(h).goneChannels).toEqual(['user.orders.any.any.raw'])
    expect(reg.privateChannels('B')).toEqual([])
    expect(reg.publicChannels()).toEqual(['ticker.X-1.raw'])
  })
})
