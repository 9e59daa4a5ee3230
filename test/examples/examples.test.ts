import { describe, expect, it } from 'vitest'
import { cleanEnv, finished, spawnNode } from '../cli/cliProcess.js'
import { REDIS_SERVER_AVAILABLE, registerRedisRequirement } from '../support/redisServer.js'

registerRedisRequirement('test/examples/examples.test.ts (examples/multi-process.ts)')

/** Each example with a line its output must contain: the point it demonstrates. */
const EXAMPLES: Array<{ name: string; expect: RegExp[] }> = [
  {
    name: 'market-data',
    expect: [
      /gap +book\.BTC-PERPETUAL\.100ms: a change with prev_change_id \d+ does not follow #\d+/,
      /rebuilt +from snapshot #\d+/,
    ],
  },
  {
    name: 'trading-bot',
    expect: [
      /unknown +bid-2 \(bid-2\) on account \d+: outcome unknown after \d+ ms/,
      /settled +the tracker learnt bid-2 is open/,
      /flat +every order cancelled/,
    ],
  },
  {
    name: 'subaccount-switcher',
    expect: [/exchange +subject \d+ → \d+/, /user\.orders +sub-1 open \(connection is subject \d+\)/],
  },
  {
    name: 'named-session-fork',
    expect: [/chain +fork:reporter ← initial:bot \(left\)/, /reporter +still authenticated and working/],
  },
  {
    // pino's own JSON lines: the client's fields are properties of the line, its message is `msg`.
    name: 'pino-logger',
    expect: [
      /^\{"level":30,.*"component":"deribit","epoch":1,"msg":"socket open"\}$/m,
      /^\{"level":30,.*"epoch":1,"code":1006,.*"willReconnect":true,"msg":"socket closed"\}$/m,
    ],
  },
]

describe.concurrent('examples/', () => {
  it.each(EXAMPLES)('$name runs on the embedded simulator and exits 0', async (example) => {
    // No DERIBIT_* from the developer's shell: the examples must run on their own simulator.
    const run = await finished(spawnNode(`examples/${example.name}.ts`, [], cleanEnv()), 15_000)
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    for (const line of example.expect) expect(run.stdout).toMatch(line)
    expect(run.stdout).toContain(`done         ${example.name} OK`)
  })
})

/** Examples that end with their own verdict line instead of the shared `done … OK`. */
const VERDICT_EXAMPLES: Array<{ name: string; expect: RegExp[]; needsRedis?: boolean }> = [
  {
    name: 'session-hopper',
    expect: [
      /switch +→ \d+ .*1 fewer than an exchange/,
      /exchange_token calls: 2 \(one per subaccount, none per hop\)/,
      /^OK$/m,
    ],
  },
  {
    name: 'multi-process',
    needsRedis: true,
    expect: [
      /refreshes that reached the exchange: 1/,
      /OK: one login, one refresh, no token spent twice, revocation reached both/,
    ],
  },
]

describe.concurrent('examples/ with a verdict line', () => {
  it.each(VERDICT_EXAMPLES.filter((e) => !e.needsRedis || REDIS_SERVER_AVAILABLE))(
    '$name runs and exits 0',
    async (example) => {
      const run = await finished(spawnNode(`examples/${example.name}.ts`, [], cleanEnv()), 20_000)
      expect(run.stderr).toBe('')
      expect(run.code).toBe(0)
      for (const line of example.expect) expect(run.stdout).toMatch(line)
    },
  )
})
