import { describe, expect, it, vi } from 'vitest'
import { Subscription, type SubscriptionMessage, subscriptionInternals } from '../../src/subscriptions/subscription.js'
import { SubscriptionOverflowError } from '../../src/subscriptions/subscriptionOverflowError.js'

function make(options: { maxBuffered?: number; bufferBeforeIteration?: boolean } = {}) {
  const unsubscribe = vi.fn(async () => {})
  const sub = new Subscription<number>({ channels: ['ticker.X-1.raw'], unsubscribe, ...options })
  return { sub, unsubscribe }
}

describe('Subscription', () => {
  it('yields pushed messages in order, including those pushed before iteration began', async () => {
    const { sub } = make()
    subscriptionInternals(sub).push('ticker.X-1.raw', 1)
    subscriptionInternals(sub).push('ticker.X-1.raw', 2, 'lbl')
    const seen: SubscriptionMessage<number>[] = []
    setTimeout(() => subscriptionInternals(sub).push('ticker.X-1.raw', 3), 1)
    for await (const message of sub) {
      seen.push(message)
      if (seen.length === 3) break
    }
    expect(seen).toEqual([
      { channel: 'ticker.X-1.raw', data: 1 },
      { channel: 'ticker.X-1.raw', data: 2, label: 'lbl' },
      { channel: 'ticker.X-1.raw', data: 3 },
    ])
    expect(sub.channels).toEqual(['ticker.X-1.raw'])
  })

  it('unsubscribe ends a pending iteration and calls the owner once', async () => {
    const { sub, unsubscribe } = make()
    const iterator = sub[Symbol.asyncIterator]()
    const pending = iterator.next()
    await Promise.all([sub.unsubscribe(), sub.unsubscribe()])
    await expect(pending).resolves.toEqual({ value: undefined, done: true })
    expect(unsubscribe).toHaveBeenCalledTimes(1)
    expect(sub.closed).toBe(true)
    subscriptionInternals(sub).push('ticker.X-1.raw', 9)
    await expect(iterator.next()).resolves.toMatchObject({ done: true })
  })

  it('break and await using unsubscribe', async () => {
    const a = make()
    subscriptionInternals(a.sub).push('ticker.X-1.raw', 1)
    for await (const _ of a.sub) break
    expect(a.unsubscribe).toHaveBeenCalledTimes(1)
    const b = make()
    {
      await using sub = b.sub
      expect(sub.closed).toBe(false)
    }
    expect(b.unsubscribe).toHaveBeenCalledTimes(1)
  })

  it('ends with a typed error on overflow and unsubscribes', async () => {
    const { sub, unsubscribe } = make({ maxBuffered: 3 })
    for (let i = 0; i < 10; i++) subscriptionInternals(sub).push('ticker.X-1.raw', i)
    const iterator = sub[Symbol.asyncIterator]()
    const error = await iterator.next().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(SubscriptionOverflowError)
    expect((error as SubscriptionOverflowError).code).toBe('SUBSCRIPTION_OVERFLOW')
    expect(unsubscribe).toHaveBeenCalledTimes(1)
    expect(sub.closed).toBe(true)
    await expect(iterator.next()).resolves.toMatchObject({ done: true })
  })

  it('owner end() with an error rejects the pending next once', async () => {
    const { sub, unsubscribe } = make()
    const iterator = sub[Symbol.asyncIterator]()
    const pending = iterator.next()
    subscriptionInternals(sub).end(new Error('client closed'))
    await expect(pending).rejects.toThrow('client closed')
    await expect(iterator.next()).resolves.toMatchObject({ done: true })
    expect(unsubscribe).not.toHaveBeenCalled()
  })

  it('does not buffer for handler-only users until someone iterates', async () => {
    const { sub, unsubscribe } = make({ maxBuffered: 2, bufferBeforeIteration: false })
    for (let i = 0; i < 100; i++) subscriptionInternals(sub).push('ticker.X-1.raw', i)
    expect(unsubscribe).not.toHaveBeenCalled()
    const iterator = sub[Symbol.asyncIterator]()
    subscriptionInternals(sub).push('ticker.X-1.raw', 100)
    await expect(iterator.next()).resolves.toEqual({ value: { channel: 'ticker.X-1.raw', data: 100 }, done: false })
  })

  it('a failing owner unsubscribe rejects unsubscribe() but not break', async () => {
    const sub = new Subscription({
      channels: ['a.b'],
      unsubscribe: async () => {
        throw new Error('wire down')
      },
    })
    subscriptionInternals(sub).push('a.b', 1)
    for await (const _ of sub) break
    await expect(sub.unsubscribe()).rejects.toThrow('wire down')
  })
})
