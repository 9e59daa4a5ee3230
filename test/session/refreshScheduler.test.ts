import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { MAX_TIMER_DELAY_MS, RefreshScheduler, refreshDueAt } from '../../src/session/refreshScheduler.js'

const MIN = 60_000

describe('RefreshScheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    vi.setSystemTime(0)
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('fires refreshBeforeMs before expiry', () => {
    const onDue = vi.fn()
    const scheduler = new RefreshScheduler({ refreshBeforeMs: MIN, onDue })
    scheduler.schedule({ createdAt: 0, expiresAt: 15 * MIN })
    expect(scheduler.dueAt).toBe(14 * MIN)
    vi.advanceTimersByTime(14 * MIN - 1)
    expect(onDue).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onDue).toHaveBeenCalledTimes(1)
    expect(scheduler.dueAt).toBeUndefined()
    vi.advanceTimersByTime(60 * MIN)
    expect(onDue).toHaveBeenCalledTimes(1)
  })

  it('never piles up timers when rescheduled repeatedly', () => {
    const onDue = vi.fn()
    const scheduler = new RefreshScheduler({ refreshBeforeMs: MIN, onDue })
    for (let i = 0; i < 100; i++) scheduler.schedule({ createdAt: 0, expiresAt: 15 * MIN + i })
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(15 * MIN)
    expect(onDue).toHaveBeenCalledTimes(1)
    scheduler.schedule({ createdAt: 0, expiresAt: 30 * MIN })
    scheduler.cancel()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(60 * MIN)
    expect(onDue).toHaveBeenCalledTimes(1)
  })

  it('refreshes at 80% of a lifetime shorter than refreshBeforeMs', () => {
    expect(refreshDueAt({ createdAt: 0, expiresAt: 10_000 }, MIN)).toBe(8_000)
    expect(refreshDueAt({ createdAt: 0, lastRefreshedAt: 100_000, expiresAt: 110_000 }, MIN)).toBe(108_000)
    const onDue = vi.fn()
    const scheduler = new RefreshScheduler({ refreshBeforeMs: MIN, onDue })
    scheduler.schedule({ createdAt: 0, expiresAt: 10_000 })
    vi.advanceTimersByTime(7_999)
    expect(onDue).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onDue).toHaveBeenCalledTimes(1)
  })

  it('fires at once when the due time has passed, never with a negative delay', () => {
    vi.setSystemTime(20 * MIN)
    const onDue = vi.fn()
    const scheduler = new RefreshScheduler({ refreshBeforeMs: MIN, onDue })
    scheduler.schedule({ createdAt: 0, expiresAt: 15 * MIN })
    vi.advanceTimersByTime(0)
    expect(onDue).toHaveBeenCalledTimes(1)
  })

  it('chains timers for lifetimes longer than setTimeout allows (Deribit default: one year)', () => {
    const year = 31_536_000_000
    const onDue = vi.fn()
    const scheduler = new RefreshScheduler({ refreshBeforeMs: MIN, onDue })
    scheduler.schedule({ createdAt: 0, expiresAt: year })
    vi.advanceTimersByTime(MAX_TIMER_DELAY_MS + 1)
    expect(onDue).not.toHaveBeenCalled()
    expect(vi.getTimerCount()).toBe(1)
    vi.advanceTimersByTime(year - MIN - MAX_TIMER_DELAY_MS - 2)
    expect(onDue).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onDue).toHaveBeenCalledTimes(1)
  })

  it('survives a throwing onDue and uses injected timers', () => {
    let now = 0
    const pending: Array<{ fn: () => void; at: number }> = []
    const timers = {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => {
        const t = { fn, at: now + ms }
        pending.push(t)
        return t
      },
      clearTimeout: (h: unknown) => {
        pending.splice(pending.indexOf(h as (typeof pending)[number]), 1)
      },
    }
    const scheduler = new RefreshScheduler({
      refreshBeforeMs: 1_000,
      timers,
      onDue: () => {
        throw new Error('boom')
      },
    })
    scheduler.schedule({ createdAt: 0, expiresAt: 10_000 })
    expect(pending).toHaveLength(1)
    expect(pending[0]?.at).toBe(9_000)
    now = 9_000
    expect(() => pending[0]?.fn()).not.toThrow()
    scheduler.schedule({ createdAt: 9_000, expiresAt: 19_000 })
    expect(pending.at(-1)?.at).toBe(18_000)
  })
})
