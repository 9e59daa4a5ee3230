import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/client.js'
import { RedisSessionStore } from '../../src/session/stores/redisSessionStore.js'
import { startSimulator } from '../../src/simulator/index.js'
import {
  REDIS_SERVER_AVAILABLE,
  type RedisServer,
  registerRedisRequirement,
  startRedisServer,
} from '../support/redisServer.js'
import { runCli } from './cliProcess.js'

registerRedisRequirement('test/cli/sessionsRedis.test.ts')

describe.runIf(REDIS_SERVER_AVAILABLE)('deribit-session sessions on a Redis store', () => {
  let redis: RedisServer
  let spec: string
  let tokens: string[]

  beforeAll(async () => {
    redis = await startRedisServer()
    spec = `redis://127.0.0.1:${redis.port}/0?prefix=cli-test:`
    const store = new RedisSessionStore({ redis: { host: '127.0.0.1', port: redis.port }, keyPrefix: 'cli-test:' })
    await using sim = await startSimulator()
    const account = sim.createAccount()
    try {
      await using bot = new DeribitClient({ url: sim.url, credentials: account, sessionName: 'fleet', store })
      await bot.connect()
      tokens = [bot.session?.accessToken ?? '', bot.session?.refreshToken ?? '']
      for (let i = 0; i < 100 && (await store.getAll()).length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    } finally {
      await store.close()
    }
  })
  afterAll(async () => {
    await redis?.stop('SIGTERM')
  })

  it('lists and revokes through redis://host:port/db?prefix=', async () => {
    const list = await runCli(['sessions', 'list', '--store', spec])
    expect(list.code).toBe(0)
    expect(list.stdout).toContain('name=fleet')
    for (const token of tokens) expect(list.stdout).not.toContain(token)

    const revoke = await runCli(['sessions', 'revoke', 'fleet', '--store', spec])
    expect(revoke.code).toBe(0)
    expect(revoke.stdout).toContain('1 stored session(s) removed, name refused for 3600 s')
    const after = await runCli(['sessions', 'list', '--json', '--store', spec])
    expect(JSON.parse(after.stdout)).toEqual([])
  })

  it('fails with exit 1 and says the store is unavailable when Redis is not there', async () => {
    const run = await runCli(['sessions', 'list', '--store', 'redis://127.0.0.1:1'])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('Redis session store unavailable')
  })
})
