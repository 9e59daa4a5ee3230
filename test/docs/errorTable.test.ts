/**
 * The README's error table against behaviour: every code the package can raise has a row, every
 * row names a code that exists, and each row's behaviour is provoked on the embedded simulator
 * (or a real store on disk) and checked for its code, its class and its `exchangeCode`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { inspect } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'
import {
  DeribitClient,
  DeribitError,
  type DeribitErrorCode,
  errorFromExchange,
  MemorySessionStore,
  type StoredSession,
} from '../../src/index.js'
import { FileSessionStore } from '../../src/stores/file.js'
import { restingBid, startWorld, waitFor } from '../client/harness.js'

const root = join(import.meta.dirname, '../..')

interface Row {
  code: string
  className: string
  /** The exchange codes the row allows; `none` when it allows an error without one. */
  exchangeCodes: { numbers: number[]; anyNumber: boolean; none: boolean }
}

/** The rows of the table under "### Errors". */
function readmeRows(): Row[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('### Errors'), readme.indexOf('\n## ', readme.indexOf('### Errors')))
  const rows: Row[] = []
  for (const line of section.split('\n')) {
    const cells = /^\| `([A-Z_]+)` \| `(\w+)` \| ([^|]+) \|/.exec(line)
    if (!cells) continue
    const [, code, className, exchange] = cells as unknown as [string, string, string, string]
    rows.push({
      code,
      className,
      exchangeCodes: {
        numbers: [...exchange.matchAll(/-?\d+/g)].map((m) => Number(m[0])),
        anyNumber: exchange.includes("the exchange's"),
        none: exchange.includes('—'),
      },
    })
  }
  return rows
}

/** The codes of the `DeribitErrorCode` union, read from the source so a new code without a row fails. */
function sourceCodes(): string[] {
  const source = readFileSync(join(root, 'src/errors.ts'), 'utf8')
  const union = /export type DeribitErrorCode =([^;]*?)\n\n/.exec(source)?.[1] ?? ''
  return [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1] as string)
}

/** Settles `run` and returns what it threw (or what an `error` event carried); fails if nothing did. */
async function thrown(run: () => unknown): Promise<unknown> {
  try {
    await run()
  } catch (error) {
    return error
  }
  throw new Error('expected an error, got none')
}

const dirs: string[] = []
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ds-error-table-'))
  dirs.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** The secret and every token a client held: none may show in an error. */
function secretsOf(client: DeribitClient, clientSecret: string): string[] {
  return [clientSecret, ...client.sessions.flatMap((s) => [s.accessToken, s.refreshToken])]
}

/** A stored session written by a real client, for the store rows. */
async function storedSession(): Promise<{ store: MemorySessionStore; session: StoredSession }> {
  const store = new MemorySessionStore()
  await using world = await startWorld({ client: { store } })
  await world.client.connect()
  const [session] = await store.getAll()
  if (!session) throw new Error('the client stored no session')
  return { store, session }
}

/**
 * (Each provocation awaits its error before returning: `await using` closes the world on return.)
 *
 * How to provoke each code, as a user would meet it. The record's type makes a code of the union
 * without a provocation a compile error; the test below makes one without a README row a failure.
 */
const PROVOKE: Record<DeribitErrorCode, () => Promise<unknown>> = {
  async RPC_ERROR() {
    await using world = await startWorld()
    await world.client.connect()
    const error = await thrown(() => world.client.callUntyped('public/get_instrument', { instrument_name: 'NOPE' }))
    // The exchange's reason is part of the message.
    expect(String((error as Error).message)).toMatch(/\(10020\): .*not found/)
    return error
  },
  async TIMEOUT() {
    await using world = await startWorld()
    await world.client.connect()
    world.sim.faults.delayResponses(500)
    return await thrown(() => world.client.call('public/get_time', {}, { timeoutMs: 100 }))
  },
  async ABORTED() {
    await using world = await startWorld()
    await world.client.connect()
    world.sim.faults.delayResponses(500)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    return await thrown(() => world.client.call('public/get_time', {}, { signal: controller.signal }))
  },
  async CONNECTION_CLOSED() {
    await using world = await startWorld()
    await world.client.connect()
    world.sim.faults.delayResponses(500)
    // Not repeatable (it changes state), so it is not sent again on the new connection.
    const call = thrown(() => world.client.callUntyped('private/cancel_all', {}))
    await new Promise((resolve) => setTimeout(resolve, 50))
    world.sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    return await call
  },
  async NOT_CONNECTED() {
    await using world = await startWorld()
    // Before connect(): at once, not after requestTimeoutMs (3 s here).
    const started = performance.now()
    const error = await thrown(() =>
      world.client.buy({ instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'limit', price: 1000 }),
    )
    expect(performance.now() - started).toBeLessThan(500)
    expect(world.sim.stats.connectionsOpened).toBe(0)
    expect(await thrown(() => world.client.call('public/get_time'))).toMatchObject({ code: 'NOT_CONNECTED' })
    return error
  },
  async OUTCOME_UNKNOWN() {
    await using world = await startWorld()
    await world.client.connect()
    const bid = await restingBid(world.client)
    world.sim.faults.delayResponses(800)
    const order = { instrument_name: bid.instrument_name, amount: bid.amount ?? 10, price: bid.price as number }
    return await thrown(() => world.client.buy({ ...order, type: 'limit', label: 'late' }, { timeoutMs: 200 }))
  },
  async NOT_PLACED() {
    await using world = await startWorld()
    await world.client.connect()
    const bid = await restingBid(world.client)
    // The exchange stops reading: the order never reaches it. Then the connection drops, and the
    // label lookup on the new one finds no such order.
    world.sim.faults.halfOpen('all')
    const params = { instrument_name: bid.instrument_name, amount: bid.amount ?? 10, price: bid.price as number }
    const order = thrown(() => world.client.buy({ ...params, type: 'limit', label: 'lost' }, { timeoutMs: 6000 }))
    await new Promise((resolve) => setTimeout(resolve, 100))
    world.sim.faults.dropConnections({ which: 'all', mode: 'terminate' })
    return await order
  },
  async AUTH_FAILED() {
    await using world = await startWorld()
    await world.client.connect()
    // An auth call of your own with a wrong secret: the client's session is untouched.
    return await thrown(() =>
      world.client.callUntyped('public/auth', {
        grant_type: 'client_credentials',
        client_id: world.account.clientId,
        client_secret: 'not-the-secret',
      }),
    )
  },
  async RATE_LIMITED() {
    await using world = await startWorld()
    await world.client.connect()
    world.sim.faults.failNext('private/cancel_all', 1, { code: 10028, message: 'too_many_requests' })
    return await thrown(() => world.client.callUntyped('private/cancel_all', {}))
  },
  async REVOKED() {
    // A wrong secret: the client's own sign-in is refused with 13004, and it stops.
    await using world = await startWorld({ client: { credentials: { clientId: 'nobody', clientSecret: 'wrong' } } })
    const error = await thrown(() => world.client.connect())
    expect(error).toMatchObject({ exchangeCode: 13004 })
    expect(world.client.state).toBe('closed')
    return error
  },
  async TRANSITION_FAILED() {
    await using world = await startWorld()
    const { client, account } = world
    await client.connect()
    const error = await thrown(() => client.exchangeToken(999_999))
    // The exchange's reason is in the message, not only in cause.data; no secret or token is.
    const message = (error as Error).message
    expect(message).toContain('subject_id is not the main account or one of its subaccounts')
    expect(message).toContain('13021')
    const shown = `${message}\n${inspect(error, { depth: 10 })}`
    for (const secret of secretsOf(client, account.clientSecret)) expect(shown).not.toContain(secret)
    const fork = await thrown(() => client.forkToken(''))
    expect(fork).toMatchObject({ code: 'TRANSITION_FAILED', exchangeCode: -32602 })
    expect((fork as Error).message).toMatch(/session_name/)
    return error
  },
  async PROTOCOL() {
    await using world = await startWorld()
    const { client, sim } = world
    await client.connect()
    const errors: unknown[] = []
    client.on('error', (error) => errors.push(error))
    sim.faults.sendMalformed('all', '{not json')
    await waitFor(() => errors.length > 0, 'a protocol error')
    return errors[0]
  },
  async CLOSED() {
    await using world = await startWorld()
    await world.client.connect()
    await world.client.close()
    return await thrown(() => world.client.call('public/get_time'))
  },
  async INVALID_ARGUMENT() {
    const error = await thrown(() => new DeribitClient({}))
    await using world = await startWorld()
    expect(await thrown(() => world.client.subscribe([]))).toMatchObject({ code: 'INVALID_ARGUMENT' })
    return error
  },
  async LISTENER_ERROR() {
    await using world = await startWorld()
    const { client } = world
    const errors: unknown[] = []
    client.on('error', (error) => errors.push(error))
    client.on('state', () => {
      throw new Error('a listener bug')
    })
    await client.connect()
    expect(client.state).toBe('ready')
    return errors.find((e) => (e as DeribitError).code === 'LISTENER_ERROR')
  },
  async SUBSCRIPTION_OVERFLOW() {
    await using world = await startWorld()
    await world.client.connect()
    const book = await world.client.orderBook('BTC-PERPETUAL', { interval: 'raw' })
    const updates = book.updates({ maxBuffered: 2 })
    // Nobody reads while the exchange publishes: the reader falls behind.
    await new Promise((resolve) => setTimeout(resolve, 300))
    const error = await thrown(async () => {
      for await (const _ of updates) {
        // drains what was buffered, then meets the overflow
      }
    })
    await book.close()
    return error
  },
  async STORE_CONFLICT() {
    const { store, session } = await storedSession()
    const stale = (session.context.lockVersion ?? 1) - 1
    return await thrown(() => store.upsert(session, stale))
  },
  async STORE_CORRUPT() {
    const path = join(tempDir(), 'sessions.json')
    writeFileSync(path, '{"name":"my-app","version":"1.0.0"}')
    return await thrown(() => new FileSessionStore({ path }).getAll())
  },
  async STORE_KEY() {
    return await thrown(() =>
      new FileSessionStore({ path: join(tempDir(), 's.json'), encryptionKey: 'c2hvcnQ=' }).getAll(),
    )
  },
  async STORE_UNAVAILABLE() {
    const path = join(tempDir(), 'sessions.json')
    // A lock held by a live process (this one) outlasts the store's patience.
    writeFileSync(`${path}.lock`, JSON.stringify({ pid: process.pid, host: hostname() }))
    return await thrown(() => new FileSessionStore({ path, lockTimeoutMs: 100 }).deleteAll())
  },
}

describe("README's error table", () => {
  const rows = readmeRows()

  it('has a row for every code of DeribitErrorCode, and no row for a code that does not exist', () => {
    const codes = sourceCodes()
    expect(codes.length).toBeGreaterThanOrEqual(19)
    expect(rows.map((row) => row.code).sort()).toEqual([...codes].sort())
    expect(Object.keys(PROVOKE).sort()).toEqual([...codes].sort())
  })

  it.each(readmeRows())(
    '$code: provoked, it has that code, class and exchange code',
    { timeout: 20_000 },
    async (row) => {
      const error = await PROVOKE[row.code as DeribitErrorCode]()
      expect(error).toBeInstanceOf(DeribitError)
      const e = error as DeribitError
      expect(e.code).toBe(row.code)
      expect(e.name).toBe(row.className)
      if (e.exchangeCode === undefined) {
        expect(row.exchangeCodes.none, `${row.code} came without an exchange code`).toBe(true)
      } else if (!row.exchangeCodes.anyNumber) {
        expect(row.exchangeCodes.numbers).toContain(e.exchangeCode)
      }
      if (row.exchangeCodes.numbers.length > 0 && !row.exchangeCodes.none) expect(e.exchangeCode).toBeTypeOf('number')
      if (row.exchangeCodes.anyNumber && !row.exchangeCodes.none) expect(e.exchangeCode).toBeTypeOf('number')
    },
  )
})

describe('an exchange error’s message', () => {
  it('carries the exchange’s data.param and data.reason, with anything token-like cut out', () => {
    const plain = errorFromExchange('public/fork_token', {
      code: -32602,
      message: 'Invalid params',
      data: { reason: 'must be a string', param: 'session_name' },
    })
    expect(plain.message).toBe('public/fork_token failed: Invalid params (-32602): session_name must be a string')
    const token = '1582628593469.1MbQ-J_4.CBP-OqOwm_FBdMYj4cRK2dMXyHPfBtXGpzLxhWg31nH'
    const echoing = errorFromExchange('public/exchange_token', {
      code: 13009,
      message: 'unauthorized',
      data: { reason: `invalid token ${token}` },
    })
    expect(echoing.message).toBe('public/exchange_token failed: unauthorized (13009): invalid token [redacted]')
    expect(errorFromExchange('public/test', { code: 1, message: 'm', data: [1] }).message).toBe(
      'public/test failed: m (1)',
    )
  })
})
