import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { AbortError } from '../../src/errors.js'
import { CreditLimiter, DEFAULT_CREDIT_POOLS } from '../../src/rpc/creditLimiter.js'

/** Schedules `count` calls of `method`, recording when each ran (fake-clock ms). */
function burst(limiter: CreditLimiter, method: string, count: number, ran: number[]): Array<Promise<number>> {
  return Array.from({ length: count }, (_, i) =>
    limiter.schedule(method, () => {
      ran.push(Date.now())
      return i
    }),
  )
}

describe('CreditLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs a burst synchronously, then paces the subscribe pool at its refill rate', async () => {
    const limiter = new CreditLimiter()
    const ran: number[] = []
    const results = burst(limiter, 'public/subscribe', 13, ran)
    // 30,000 credits / 3,000 per subscribe: ten run at once, without waiting for a tick.
    expect(ran).toEqual(Array(10).fill(0))
    expect(limiter.size).toBe(3)
    await vi.advanceTimersByTimeAsync(299)
    expect(ran).toHaveLength(10)
    await vi.advanceTimersByTimeAsync(1)
    expect(ran).toHaveLength(11)
    await vi.advanceTimersByTimeAsync(600)
    expect(ran.slice(10)).toEqual([300, 600, 900])
    expect(await Promise.all(results)).toEqual([...Array(13).keys()])
    expect(limiter.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('paces the default pool at 20/s after a burst of 100 and matching-engine calls at 5/s after 20', async () => {
    const limiter = new CreditLimiter()
    const reads: number[] = []
    const orders: number[] = []
    burst(limiter, 'public/get_index_price', 102, reads)
    burst(limiter, 'private/buy', 22, orders)
    expect(reads).toHaveLength(100)
    expect(orders).toHaveLength(20)
    await vi.advanceTimersByTimeAsync(400)
    expect(reads.slice(100)).toEqual([50, 100])
    expect(orders.slice(20)).toEqual([200, 400])
  })

  it('charge() takes credits at once, into debt, and later requests wait for the refill', async () => {
    const limiter = new CreditLimiter()
    const ran: number[] = []
    // Drain the default pool (100 requests), then charge one more that could not wait.
    const first = burst(limiter, 'public/test', 100, ran)
    limiter.charge('public/test')
    const next = limiter.schedule('public/test', () => ran.push(Date.now()))
    // 500 credits of debt plus 500 for the next request at 10,000/s: 100 ms, not 50.
    await vi.advanceTimersByTimeAsync(99)
    expect(ran).toHaveLength(100)
    await vi.advanceTimersByTimeAsync(1)
    expect(ran).toHaveLength(101)
    await Promise.all([...first, next])
  })

  it('paces with headroom: reserveRequests holds back part of each burst, refillShare slows the refill', async () => {
    const limiter = new CreditLimiter({ reserveRequests: 1, refillShare: 0.5 })
    const ran: number[] = []
    const results = burst(limiter, 'public/subscribe', 11, ran)
    // 30,000 credits less one 3,000 request held back: nine at once.
    expect(ran).toEqual(Array(9).fill(0))
    // 3,000 credits at half of 10,000/s: 600 ms per request, not 300.
    await vi.advanceTimersByTimeAsync(599)
    expect(ran).toHaveLength(9)
    await vi.advanceTimersByTimeAsync(1)
    expect(ran).toHaveLength(10)
    await vi.advanceTimersByTimeAsync(600)
    expect(ran.slice(9)).toEqual([600, 1200])
    await Promise.all(results)
    expect(() => new CreditLimiter({ refillShare: 0 })).toThrow(/refillShare/)
  })

  it('a pool that has stayed full long enough spends the whole burst the exchange allows, held-back requests included', async () => {
    const limiter = new CreditLimiter({ reserveRequests: 1, refillShare: 0.9 })
    const ran: number[] = []
    await Promise.all(burst(limiter, 'public/subscribe', 9, ran))
    // Refilled to the paced 27,000 after 3 s at 9,000/s; not yet proven full at the exchange.
    await vi.advanceTimersByTimeAsync(3_000)
    expect(limiter.available('public/subscribe')).toBe(27_000)
    // As long again as the held-back 3,000 credits take at the paced rate: the exchange is full too.
    await vi.advanceTimersByTimeAsync(334)
    expect(limiter.available('public/subscribe')).toBe(30_000)
    ran.length = 0
    const second = burst(limiter, 'public/subscribe', 11, ran)
    expect(ran).toEqual(Array(10).fill(3_334))
    // The spend ends the proof: after the eleventh (paced) request, a refill reaches the paced pool only.
    await vi.advanceTimersByTimeAsync(334)
    expect(ran).toHaveLength(11)
    await Promise.all(second)
    await vi.advanceTimersByTimeAsync(3_000)
    expect(limiter.available('public/subscribe')).toBe(27_000)
  })

  it('keeps pools independent and FIFO within a pool', async () => {
    const limiter = new CreditLimiter()
    const order: string[] = []
    for (let i = 0; i < 12; i++) void limiter.schedule('private/subscribe', () => order.push(`sub${i}`))
    void limiter.schedule('public/ticker', () => order.push('read'))
    expect(order.at(-1)).toBe('read')
    await vi.advanceTimersByTimeAsync(600)
    expect(order.slice(-2)).toEqual(['sub10', 'sub11'])
  })

  it('abort while queued rejects with AbortError and charges nothing', async () => {
    const limiter = new CreditLimiter()
    const ran: number[] = []
    burst(limiter, 'public/subscribe', 10, ran)
    const head = new AbortController()
    const second = new AbortController()
    const first = limiter.schedule('public/subscribe', () => 'head', head.signal)
    const queued = limiter.schedule('public/subscribe', () => 'second', second.signal)
    const last = limiter.schedule('public/subscribe', () => 'last')
    second.abort()
    await expect(queued).rejects.toBeInstanceOf(AbortError)
    head.abort()
    await expect(first).rejects.toMatchObject({ code: 'ABORTED' })
    // The aborted calls took no credits: the last one runs at the first refill.
    await vi.advanceTimersByTimeAsync(300)
    expect(await last).toBe('last')
    expect(limiter.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    await expect(limiter.schedule('public/subscribe', () => 1, AbortSignal.abort())).rejects.toBeInstanceOf(AbortError)
  })

  it('exhausted() drains the pool after a 10028', async () => {
    const limiter = new CreditLimiter()
    const ran: number[] = []
    limiter.exhausted('public/subscribe')
    expect(limiter.available('public/subscribe')).toBe(0)
    burst(limiter, 'public/subscribe', 1, ran)
    burst(limiter, 'public/get_time', 1, ran)
    expect(ran).toEqual([0])
    await vi.advanceTimersByTimeAsync(300)
    expect(ran).toEqual([0, 300])
  })

  it('clear() rejects every queued call and leaves no timer', async () => {
    const limiter = new CreditLimiter()
    burst(limiter, 'public/subscribe', 10, [])
    const queued = [limiter.schedule('public/subscribe', () => 1), limiter.schedule('public/subscribe', () => 2)]
    limiter.clear()
    for (const promise of queued) await expect(promise).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
    expect(limiter.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('accepts other tiers and validates pools', async () => {
    const limiter = new CreditLimiter({ pools: { matchingEngine: { maxCredits: 100, refillPerSecond: 30 } } })
    const ran: number[] = []
    burst(limiter, 'private/sell', 101, ran)
    expect(ran).toHaveLength(100)
    expect(limiter.poolOf('private/sell')).toBe('matchingEngine')
    expect(limiter.poolOf('public/whatever')).toBe('default')
    expect(DEFAULT_CREDIT_POOLS.matchingEngine?.maxCredits).toBe(20)
    expect(() => new CreditLimiter({ pools: { default: { refillPerSecond: 0 } } })).toThrow(/positive/)
    expect(() => new CreditLimiter({ pools: { x: { costPerRequest: 5 } } })).toThrow(/positive/)
    expect(() => new CreditLimiter({ pools: { default: { maxCredits: 10 } } })).toThrow(/cannot hold/)
  })

  it('tryAcquire charges only when a call may run now, and never jumps the queue', async () => {
    const limiter = new CreditLimiter({ now: () => Date.now() })
    for (let i = 0; i < 10; i++) expect(limiter.tryAcquire('public/subscribe')).toBe(true)
    expect(limiter.tryAcquire('public/subscribe')).toBe(false)
    const ran: number[] = []
    burst(limiter, 'public/subscribe', 1, ran)
    // Move the clock without firing timers: credits for two calls are back, but a waiter comes first.
    vi.setSystemTime(600)
    expect(limiter.available('public/subscribe')).toBeGreaterThanOrEqual(6000)
    expect(limiter.tryAcquire('public/subscribe')).toBe(false)
    await vi.advanceTimersByTimeAsync(300)
    expect(ran).toHaveLength(1)
    expect(limiter.tryAcquire('public/subscribe')).toBe(true)
    expect(limiter.tryAcquire('public/get_time')).toBe(true)
  })

  it('passes through fn results and errors', async () => {
    const limiter = new CreditLimiter()
    await expect(limiter.schedule('public/test', async () => 'ok')).resolves.toBe('ok')
    await expect(
      limiter.schedule('public/test', () => {
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
  })
})
