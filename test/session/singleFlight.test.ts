import { describe, expect, it } from 'vitest'
import { SingleFlight } from '../../src/session/singleFlight.js'

describe('SingleFlight', () => {
  it('runs once for 50 concurrent callers and shares the result', async () => {
    const flight = new SingleFlight<number>()
    let runs = 0
    let release!: (n: number) => void
    const fn = () => {
      runs++
      return new Promise<number>((resolve) => {
        release = resolve
      })
    }
    const callers = Array.from({ length: 50 }, () => flight.run(fn))
    expect(flight.isRunning()).toBe(true)
    release(42)
    expect(await Promise.all(callers)).toEqual(Array(50).fill(42))
    expect(runs).toBe(1)
    expect(flight.isRunning()).toBe(false)
    await flight.run(async () => {
      runs++
      return 1
    })
    expect(runs).toBe(2)
  })

  it('shares a rejection, then lets the next call run', async () => {
    const flight = new SingleFlight<string>()
    let runs = 0
    const failing = async () => {
      runs++
      throw new Error('refresh failed')
    }
    const results = await Promise.allSettled([flight.run(failing), flight.run(failing), flight.run(failing)])
    expect(results.every((r) => r.status === 'rejected')).toBe(true)
    expect(runs).toBe(1)
    await expect(flight.run(async () => 'ok')).resolves.toBe('ok')
  })

  it('keeps keys independent and turns a synchronous throw into a rejection', async () => {
    const flight = new SingleFlight<string>()
    const a = flight.run('a', async () => 'A')
    const b = flight.run('b', async () => 'B')
    expect(flight.current('a')).toBe(a)
    expect(await Promise.all([a, b])).toEqual(['A', 'B'])
    await expect(
      flight.run('c', () => {
        throw new Error('sync')
      }),
    ).rejects.toThrow('sync')
    expect(flight.isRunning('c')).toBe(false)
  })
})
