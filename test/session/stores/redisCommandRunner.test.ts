import { describe, expect, it } from 'vitest'
import { StoreError } from '../../../src/errors.js'
import { RedisCommandRunner } from '../../../src/session/stores/redisCommandRunner.js'
import type { RedisConnection } from '../../../src/session/stores/redisHandle.js'

// What ioredis (maxRetriesPerRequest: 0) says about a command in flight when the master's socket dropped.
const IN_FLIGHT_DROPPED =
  'Reached the max retries per request limit (which is 0). Refer to "maxRetriesPerRequest" option for details.'

const readyConnection = { status: 'ready' } as unknown as RedisConnection

function runner(highlyAvailable: boolean, failoverWaitMs: number) {
  return new RedisCommandRunner({
    redis: readyConnection,
    highlyAvailable,
    readyTimeoutMs: 100,
    failoverWaitMs,
    prefix: 'p:',
  })
}

/** A command that fails `failures` times with `message`, then answers 'done'. */
function flaky(failures: number, message: string) {
  let calls = 0
  const fn = async () => {
    calls++
    if (calls <= failures) throw new Error(message)
    return 'done'
  }
  return { fn, calls: () => calls }
}

describe('RedisCommandRunner', () => {
  it('sends a command again when the failover dropped it in flight (Sentinel or Cluster)', async () => {
    const command = flaky(2, IN_FLIGHT_DROPPED)
    await expect(runner(true, 2_000).run(command.fn)).resolves.toBe('done')
    expect(command.calls()).toBe(3)
  })

  it('fails at once with STORE_UNAVAILABLE on one server, where no failover is coming', async () => {
    const command = flaky(1, IN_FLIGHT_DROPPED)
    const failure = await runner(false, 0)
      .run(command.fn)
      .catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(StoreError)
    expect((failure as StoreError).code).toBe('STORE_UNAVAILABLE')
    expect(command.calls()).toBe(1)
  })

  it('gives up with STORE_UNAVAILABLE once the failover wait is spent', async () => {
    const command = flaky(1_000, 'Connection is closed.')
    const started = Date.now()
    const failure = await runner(true, 400)
      .run(command.fn)
      .catch((e: unknown) => e)
    expect((failure as StoreError).code).toBe('STORE_UNAVAILABLE')
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(command.calls()).toBeGreaterThan(1)
  })

  it("does not retry a failure no failover causes, nor chain ioredis's error (it carries the command's arguments)", async () => {
    const command = flaky(1, 'ERR unknown command')
    const failure = (await runner(true, 2_000)
      .run(command.fn)
      .catch((e: unknown) => e)) as StoreError
    expect(failure.code).toBe('STORE_UNAVAILABLE')
    expect(failure.cause).toBeUndefined()
    expect(command.calls()).toBe(1)
  })
})
