import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { IdleWatchdog } from '../../src/transport/idleWatchdog.js'

describe('IdleWatchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('fires once after timeoutMs of silence, then stops', () => {
    const onIdle = vi.fn()
    const dog = new IdleWatchdog({ timeoutMs: 1_000, onIdle })
    dog.start()
    vi.advanceTimersByTime(999)
    expect(onIdle).not.toHaveBeenCalled()
    vi.advanceTimersByTime(1)
    expect(onIdle).toHaveBeenCalledTimes(1)
    expect(dog.running).toBe(false)
    vi.advanceTimersByTime(10_000)
    expect(onIdle).toHaveBeenCalledTimes(1)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('does not fire while frames keep arriving, and uses a single timer', () => {
    const onIdle = vi.fn()
    const dog = new IdleWatchdog({ timeoutMs: 1_000, resolutionMs: 100, onIdle })
    dog.start()
    for (let i = 0; i < 50; i++) {
      vi.advanceTimersByTime(100)
      dog.touch()
      dog.touch()
      expect(vi.getTimerCount()).toBe(1)
    }
    expect(onIdle).not.toHaveBeenCalled()
    // Silence from the last touch: never before timeoutMs, at most resolutionMs later.
    vi.advanceTimersByTime(999)
    expect(onIdle).not.toHaveBeenCalled()
    vi.advanceTimersByTime(101)
    expect(onIdle).toHaveBeenCalledTimes(1)
  })

  it('fires between timeoutMs and timeoutMs + resolutionMs after the last touch, wherever it falls', () => {
    for (const lastTouchAt of [0, 1, 37, 99, 100, 101, 250, 999]) {
      const onIdle = vi.fn()
      const dog = new IdleWatchdog({ timeoutMs: 1_000, resolutionMs: 100, onIdle })
      const startedAt = Date.now()
      dog.start()
      vi.advanceTimersByTime(lastTouchAt)
      dog.touch()
      vi.advanceTimersByTime(999)
      expect(onIdle, `touch at +${lastTouchAt}`).not.toHaveBeenCalled()
      while (onIdle.mock.calls.length === 0 && Date.now() - startedAt < lastTouchAt + 2_000) vi.advanceTimersByTime(1)
      const firedAfterTouchMs = Date.now() - startedAt - lastTouchAt
      expect(firedAfterTouchMs, `touch at +${lastTouchAt}`).toBeGreaterThanOrEqual(1_000)
      expect(firedAfterTouchMs, `touch at +${lastTouchAt}`).toBeLessThanOrEqual(1_100)
      expect(onIdle).toHaveBeenCalledTimes(1)
      dog.stop()
    }
  })

  it('stop() releases the timer; start() re-arms with a fresh quiet period', () => {
    const onIdle = vi.fn()
    const dog = new IdleWatchdog({ timeoutMs: 500, onIdle })
    dog.start()
    dog.start()
    expect(vi.getTimerCount()).toBe(1)
    dog.stop()
    expect(vi.getTimerCount()).toBe(0)
    vi.advanceTimersByTime(5_000)
    expect(onIdle).not.toHaveBeenCalled()
    dog.start()
    vi.advanceTimersByTime(500)
    expect(onIdle).toHaveBeenCalledTimes(1)
  })

  it('accepts injected timers and clock', () => {
    let now = 0
    const scheduled: Array<{ fn: () => void; at: number }> = []
    const onIdle = vi.fn()
    const dog = new IdleWatchdog({
      timeoutMs: 100,
      resolutionMs: 50,
      onIdle,
      now: () => now,
      timers: {
        setTimeout: (fn, ms) => scheduled.push({ fn, at: now + ms }),
        clearTimeout: () => {},
      },
    })
    dog.start()
    expect(scheduled[0]?.at).toBe(50)
    now = 30
    dog.touch()
    // The tick at 50 stamps the touch at 50 (never earlier than the frame).
    now = 50
    scheduled.shift()?.fn()
    now = 100
    scheduled.shift()?.fn()
    expect(onIdle).not.toHaveBeenCalled()
    expect(scheduled[0]?.at).toBe(150)
    now = 150
    scheduled.shift()?.fn()
    expect(onIdle).toHaveBeenCalledTimes(1)
    expect(scheduled).toHaveLength(0)
  })
})
