/**
 * Issue 13, cases 9–12: one lifetime. After `close()` nothing runs and nothing is sent; a
 * refresh token is spent once; a user's throwing listener cannot steer the client; a failed
 * scheduled refresh is tried again.
 */
import { describe, expect, it } from 'vitest'
import type { SessionContext } from '../../../src/index.js'
import { recordingLogger } from '../../reliability/oracles.js'
import { authGrant } from '../../support/wireControl.js'
import {
  clientConnection,
  expectClosedForGood,
  expectWire,
  refreshTokensSpent,
  settledWithin,
  sleep,
  startOverlapWorld,
  track,
  waitFor,
} from './overlapWorld.js'

const TICKER = 'ticker.BTC-PERPETUAL.100ms'

/** Tokens live 3 s and are refreshed 2 s before expiry: a refresh a second after each grant. */
const FAST_REFRESH = { sim: { tokenLifetimeSec: 3 }, client: { refreshBeforeMs: 2000 } }

describe('one lifetime (issue 13)', () => {
  it('case 9: after close(), held sessions are not refreshed: no connection, no frame, no timer', async () => {
    await using w = await startOverlapWorld(FAST_REFRESH)
    await w.client.connect()
    const mainContext = w.client.session as SessionContext
    await w.client.exchangeToken(w.subA) // main is now held, with its own refresh due
    // close() lands while the held session's refresh is out on its side connection.
    const isHeldRefresh = (method: string, params: Record<string, unknown>) =>
      method === 'public/auth' && params.refresh_token === mainContext.refreshToken
    w.wire.hold({ match: isHeldRefresh, hold: 500, count: 1 })
    // A client that refreshes held sessions only on demand sends none: then it is a plain close.
    await w.wire.sent(isHeldRefresh, 2500).catch(() => undefined)
    await expectClosedForGood(w, 3000)
  })

  it('case 9: a refresh answer that arrives while close() is under way re-arms nothing', async () => {
    await using w = await startOverlapWorld(FAST_REFRESH)
    await w.client.connect()
    const conn = await clientConnection(w)
    w.wire.hold({ match: authGrant('refresh_token'), hold: 400, count: 1 })
    const refresh = track(w.client.refreshToken())
    await waitFor(() => w.sim.stats.refreshes === 1, 'the exchange to grant the refresh')
    // The exchange stops answering, so the close handshake is still open when the answer arrives.
    w.sim.faults.halfOpen(conn)
    const closing = track(w.client.close())
    await settledWithin(refresh, 2000, 'the refresh in flight at close()')
    w.sim.faults.restore(conn)
    await settledWithin(closing, 5000, 'close()')
    await expectClosedForGood(w, 2500)
  })

  it("case 10: switchSession() during that session's background refresh spends its refresh token once", async () => {
    await using w = await startOverlapWorld({
      sim: { tokenLifetimeSec: 4, refreshTokenReuse: 'revoke-session' },
      client: { refreshBeforeMs: 3000 },
    })
    await w.client.connect()
    const mainContext = w.client.session as SessionContext
    await w.client.exchangeToken(w.subA)
    // The held main session's refresh goes out about a second after it was granted; hold its answer.
    const isMainRefresh = (method: string, params: Record<string, unknown>) =>
      method === 'public/auth' &&
      params.grant_type === 'refresh_token' &&
      params.refresh_token === mainContext.refreshToken
    w.wire.hold({ match: isMainRefresh, hold: 500, count: 1 })
    // A client that refreshes held sessions only on demand sends none: then it is a plain switch.
    await w.wire.sent(isMainRefresh, 2500).catch(() => undefined)
    const failuresBefore = w.sim.stats.authFailures
    const back = track(w.client.switchSession(mainContext.id))
    const outcome = await settledWithin(back, 5000, 'the switch')
    expect(outcome.ok, outcome.ok ? '' : `switch failed: ${outcome.error.code} ${outcome.error.message}`).toBe(true)
    const spent = refreshTokensSpent(w.sim)
    expect(spent.length - new Set(spent).size, 'refresh tokens presented twice').toBe(0)
    expect(w.sim.stats.authFailures - failuresBefore, 'auth failures at the exchange').toBe(0)
    await clientConnection(w)
    expect(w.client.subjectId).toBe(w.main)
    expect(await w.client.call('private/get_open_orders_by_currency', { currency: 'BTC' })).toEqual([])
  })

  it("case 11: a throwing 'transition' listener neither fails the exchange nor loops", async () => {
    const { logger, lines } = recordingLogger()
    await using w = await startOverlapWorld({ client: { logger } })
    const errors: unknown[] = []
    w.client.on('error', (e) => errors.push(e))
    w.client.on('transition', () => {
      throw new Error('user bug in transition')
    })
    expect((await settledWithin(track(Promise.resolve().then(() => w.client.connect())), 5000, 'connect()')).ok).toBe(
      true,
    )
    const exchange = await settledWithin(track(w.client.exchangeToken(w.subA)), 5000, 'the exchange')
    expect(exchange.ok, exchange.ok ? '' : `${exchange.error.code}: ${exchange.error.message}`).toBe(true)
    await expectStable(w)
    expect(w.client.subjectId).toBe(w.subA)
    expect(reported(errors, lines, 'user bug in transition'), 'the listener error is reported').toBe(true)
  })

  it("case 11: a throwing 'state' listener does not leave the client stuck or looping", async () => {
    const { logger, lines } = recordingLogger()
    await using w = await startOverlapWorld({ client: { logger } })
    const errors: unknown[] = []
    w.client.on('error', (e) => errors.push(e))
    w.client.on('state', () => {
      throw new Error('user bug in state')
    })
    // A listener that throws inside connect() must not make connect() itself throw.
    const connect = await settledWithin(track(Promise.resolve().then(() => w.client.connect())), 5000, 'connect()')
    expect(connect.ok).toBe(true)
    await expectStable(w)
    expect(reported(errors, lines, 'user bug in state'), 'the listener error is reported').toBe(true)
  })

  it("case 11: a throwing 'resubscribed' listener does not cause a reconnect loop", async () => {
    const { logger, lines } = recordingLogger()
    await using w = await startOverlapWorld({ client: { logger } })
    const errors: unknown[] = []
    w.client.on('error', (e) => errors.push(e))
    w.client.on('resubscribed', () => {
      throw new Error('user bug in resubscribed')
    })
    await w.client.connect()
    expect((await settledWithin(track(w.client.subscribe([TICKER])), 3000, 'subscribe')).ok).toBe(true)
    w.sim.faults.dropConnections({ mode: 'terminate' })
    await waitFor(() => w.sim.stats.connectionsOpened >= 2, 'the reconnect')
    await expectStable(w)
    await expectWire(w, [TICKER])
    expect(reported(errors, lines, 'user bug in resubscribed'), 'the listener error is reported').toBe(true)
  })

  it('case 12: a failed scheduled refresh is tried again before the token expires', async () => {
    await using w = await startOverlapWorld({ sim: { tokenLifetimeSec: 5 }, client: { refreshBeforeMs: 4000 } })
    await w.client.connect()
    const grantedAt = Date.now()
    // The scheduled refresh, a second from now, meets a passing exchange error.
    w.sim.faults.failNext('public/auth', 1, { code: 11094, message: 'internal_server_error' })
    await waitFor(() => (w.sim.stats.requests['public/auth'] ?? 0) >= 2, 'the scheduled refresh', 3000)
    await waitFor(
      () => w.sim.stats.refreshes >= 1,
      'a refresh that succeeds before the token expires',
      Math.max(1, grantedAt + 4800 - Date.now()),
    )
    // The exchange counts the refresh before its answer reaches the client.
    await waitFor(() => w.client.state === 'ready', 'ready on the refreshed token', 1000)
    expect(w.client.session?.expiresAt ?? 0).toBeGreaterThan(grantedAt + 5000)
  })
})

/** Ready on one connection, and still so a second later without any new connection. */
async function expectStable(w: Awaited<ReturnType<typeof startOverlapWorld>>): Promise<void> {
  await clientConnection(w)
  const opened = w.sim.stats.connectionsOpened
  await sleep(1200)
  expect(w.sim.stats.connectionsOpened - opened, 'connections opened while nothing happened').toBe(0)
  expect(w.client.state).toBe('ready')
}

/** The listener's error reached the user: an `error` event or a log line names it. */
function reported(errors: unknown[], lines: string[], message: string): boolean {
  const inError = errors.some((e) => String((e as Error)?.message).includes(message) || hasCause(e, message))
  return inError || lines.some((l) => l.includes(message))
}

function hasCause(error: unknown, message: string): boolean {
  const cause = (error as { cause?: unknown })?.cause
  return cause !== undefined && String((cause as Error)?.message).includes(message)
}
