/**
 * Issue 13, cases 1–4 and 15: order work in flight when a transition overlaps it. Each order is
 * issued under one subject; whatever happens, it acts only there, and its promise tells the
 * truth within its deadline.
 */
import { describe, expect, it } from 'vitest'
import {
  bid,
  clientConnection,
  expectTrackerTrue,
  expectTruthfulOrder,
  labelCounts,
  openOn,
  settledWithin,
  startOverlapWorld,
  track,
  waitFor,
} from './overlapWorld.js'

/** Slack over a call's own deadline for the promise to settle. */
const SLACK_MS = 400

describe('orders overlapping a transition (issue 13)', () => {
  it('case 1: a buy whose answer comes late, then exchangeToken(sub): never NOT_PLACED while it rests on main', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    w.wire.hold({ match: 'private/buy', hold: 2500, count: 1 })
    const buy = track(w.client.buy(bid('c1'), { timeoutMs: 1000 }))
    await waitFor(() => w.sim.orderCount(w.main, 'c1') === 1, 'the buy to rest on main')
    const exchange = track(w.client.exchangeToken(w.subA))
    const outcome = await settledWithin(buy, 1000 + SLACK_MS, 'the buy')
    expect((await settledWithin(exchange, 5000, 'the exchange')).ok).toBe(true)
    expectTruthfulOrder(w, 'c1', w.main, outcome)
    await waitFor(() => w.client.state === 'ready', 'ready on the subaccount')
    await expectTrackerTrue(w, [w.main, w.subA])
  })

  it("case 2: a lost cancelAll() answer, then exchangeToken(sub): the subaccount's orders stay", async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    await w.client.exchangeToken(w.subA)
    const onSub = await w.client.buy(bid('c2-sub'))
    await w.client.exchangeToken(w.main)
    await w.client.buy(bid('c2-main'))
    await clientConnection(w)
    // The exchange acts on the cancel_all; its answer never comes back.
    w.wire.hold({ match: 'private/cancel_all', hold: 'lost', count: 1 })
    const cancelAll = track(w.client.cancelAll({}, { timeoutMs: 1000 }))
    await w.wire.sent('private/cancel_all')
    const exchange = track(w.client.exchangeToken(w.subA))
    await settledWithin(cancelAll, 1000 + SLACK_MS, 'cancelAll')
    await settledWithin(exchange, 6000, 'the exchange')
    expect(openOn(w, w.main), "main's order cancelled").toEqual([])
    expect(
      openOn(w, w.subA).map((o) => o.order_id),
      'the subaccount order is untouched',
    ).toEqual([onSub.order.order_id])
    await clientConnection(w)
    await expectTrackerTrue(w, [w.main, w.subA])
  })

  it('case 3: a buy refused with 13009 while an exchange is queued: retried (if at all) on main, filed under main', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    w.sim.faults.failNext('private/buy', 1, { code: 13009, message: 'unauthorized' })
    const buy = track(w.client.buy(bid('c3')))
    const exchange = track(w.client.exchangeToken(w.subA))
    const outcome = await settledWithin(buy, 1500 + SLACK_MS, 'the buy')
    expect((await settledWithin(exchange, 5000, 'the exchange')).ok).toBe(true)
    expectTruthfulOrder(w, 'c3', w.main, outcome)
    await clientConnection(w)
    await expectTrackerTrue(w, [w.main, w.subA])
    if (outcome.ok) {
      expect(w.client.orders.forSubject(w.main).map((o) => o.label)).toContain('c3')
      expect(w.client.orders.forSubject(w.subA).map((o) => o.label)).not.toContain('c3')
    }
  })

  it('case 4: a buy called during exchangeToken(sub) lands on the sub, is filed there, and a later reconcile of main keeps it open', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    // The exchange is slow to answer, so the buy is issued while it is under way.
    w.wire.hold({ match: 'public/exchange_token', hold: 300, count: 1 })
    const exchange = track(w.client.exchangeToken(w.subA))
    await w.wire.sent('public/exchange_token')
    const buy = track(w.client.buy(bid('c4')))
    expect((await settledWithin(exchange, 5000, 'the exchange')).ok).toBe(true)
    const outcome = await settledWithin(buy, 1500 + 300 + SLACK_MS, 'the buy')
    expectTruthfulOrder(w, 'c4', w.subA, outcome)
    expect(outcome.ok, 'nothing failed: the buy just waited for the exchange').toBe(true)
    expect(w.client.orders.forSubject(w.subA).map((o) => o.label)).toContain('c4')
    expect(w.client.orders.forSubject(w.main).map((o) => o.label)).not.toContain('c4')
    // Back to main (its orders are reconciled) and to the sub again: the order is still open in the tracker.
    await w.client.exchangeToken(w.main)
    await w.client.exchangeToken(w.subA)
    await clientConnection(w)
    expect(openOn(w, w.subA).map((o) => o.label)).toEqual(['c4'])
    await expectTrackerTrue(w, [w.main, w.subA])
  })

  it('case 15: timeoutMs bounds the whole order call, settlement included', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    // The answer is late, and so is every label lookup that would settle it.
    w.wire.hold({ match: 'private/buy', hold: 4000, count: 1 })
    w.wire.hold({ match: (m) => m.includes('by_label') || m === 'private/get_order_state', hold: 4000 })
    const buy = track(w.client.buy(bid('c15'), { timeoutMs: 1000 }))
    const outcome = await settledWithin(buy, 1000 + SLACK_MS, 'the buy')
    expectTruthfulOrder(w, 'c15', w.main, outcome)
    expect(w.sim.orderCount(w.main, 'c15')).toBe(1)
  })

  it('case 15: an AbortSignal bounds the whole order call, settlement included', async () => {
    await using w = await startOverlapWorld()
    await w.client.connect()
    w.wire.hold({ match: 'private/buy', hold: 4000, count: 1 })
    w.wire.hold({ match: (m) => m.includes('by_label') || m === 'private/get_order_state', hold: 4000 })
    const abort = new AbortController()
    const buy = track(w.client.buy(bid('c15s'), { timeoutMs: 10_000, signal: abort.signal }))
    await w.wire.sent('private/buy')
    setTimeout(() => abort.abort(), 300)
    const outcome = await settledWithin(buy, 300 + SLACK_MS, 'the aborted buy')
    expectTruthfulOrder(w, 'c15s', w.main, outcome)
  })

  it('case 15: a late original answer that arrives within the deadline wins over settlement', async () => {
    await using w = await startOverlapWorld({ client: { requestTimeoutMs: 800 } })
    await w.client.connect()
    // The answer comes after the client's default request timeout, but before this call's own deadline.
    w.wire.hold({ match: 'private/buy', hold: 1200, count: 1 })
    w.wire.hold({ match: (m) => m.includes('by_label') || m === 'private/get_order_state', hold: 'lost' })
    const buy = track(w.client.buy(bid('c15l'), { timeoutMs: 3000 }))
    const outcome = await settledWithin(buy, 3000 + SLACK_MS, 'the buy')
    expect(outcome.ok, 'the real order, from the late answer').toBe(true)
    expectTruthfulOrder(w, 'c15l', w.main, outcome)
    expect(labelCounts(w, 'c15l')[w.main]).toBe(1)
  })
})
