import { afterEach, describe, expect, it } from 'vitest'
import type { BookChange } from '../../../src/protocol/types.js'
import { closeAll, harness } from './harness.js'

afterEach(closeAll)

type Levels = Map<number, number>

function apply(levels: Levels, entries: BookChange['bids']): void {
  for (const [action, price, amount] of entries) {
    if (action === 'delete') {
      expect(levels.has(price)).toBe(true)
      levels.delete(price)
    } else {
      expect(levels.has(price)).toBe(action === 'change')
      levels.set(price, amount)
    }
  }
}

describe('market generator', () => {
  it('replays the same market for the same seed and a different one for another seed', () => {
    const run = (seed: number) => {
      const h = harness({ seed })
      h.exchange.market.tick(300)
      return JSON.stringify(h.sink.published)
    }
    expect(run(7)).toBe(run(7))
    expect(run(7)).not.toBe(run(8))
  })

  it('publishes index, ticker, trades and book changes', () => {
    const h = harness()
    h.exchange.market.tick(200)
    const channels = new Set(h.sink.published.map((e) => e.channel))
    for (const c of [
      'deribit_price_index.btc_usd',
      'deribit_price_index.eth_usd',
      'ticker.BTC-PERPETUAL',
      'book.ETH-PERPETUAL',
      'trades.BTC-PERPETUAL',
    ]) {
      expect(channels).toContain(c)
    }
    const index = h.sink.on('deribit_price_index.btc_usd').at(-1) as {
      index_name: string
      price: number
      timestamp: number
    }
    expect(index.index_name).toBe('btc_usd')
    expect(index.price).toBeGreaterThan(50_000)
    const trades = h.sink.on('trades.BTC-PERPETUAL') as Record<string, unknown>[][]
    const seqs = trades.flat().map((t) => t.trade_seq as number)
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b))
    expect(new Set(trades.flat().map((t) => t.trade_id)).size).toBe(seqs.length)
    expect(typeof trades[0]?.[0]?.trade_id).toBe('string')
  })

  it('chains book changes by prev_change_id, sometimes stepping by 2', () => {
    const h = harness()
    h.exchange.market.tick(500)
    const changes = h.sink.on('book.BTC-PERPETUAL') as BookChange[]
    expect(changes.length).toBeGreaterThan(20)
    let steps2 = 0
    for (let i = 1; i < changes.length; i++) {
      const prev = changes[i - 1] as BookChange
      const cur = changes[i] as BookChange
      expect(cur.type).toBe('change')
      expect(cur.prev_change_id).toBe(prev.change_id)
      if (cur.change_id - prev.change_id === 2) steps2++
    }
    expect(steps2).toBeGreaterThan(0)
  })

  it('skipChangeId makes the next change not chain, and a later snapshot chains again', () => {
    const h = harness()
    h.exchange.market.tick(50)
    const before = (h.sink.on('book.ETH-PERPETUAL') as BookChange[]).at(-1) as BookChange
    h.exchange.market.skipChangeId('ETH-PERPETUAL')
    const snapshot = h.exchange.snapshotFor('book.ETH-PERPETUAL.raw') as BookChange
    h.exchange.market.burstBookChanges('ETH-PERPETUAL', 1)
    const next = (h.sink.on('book.ETH-PERPETUAL') as BookChange[]).at(-1) as BookChange
    expect(next.prev_change_id).not.toBe(before.change_id)
    expect(next.prev_change_id).toBe(snapshot.change_id)
  })

  it('a snapshot plus the changes after it equals get_order_book', () => {
    const h = harness()
    h.exchange.market.tick(20)
    const snapshot = h.exchange.snapshotFor('book.BTC-PERPETUAL.100ms') as BookChange
    expect(snapshot.type).toBe('snapshot')
    expect(snapshot.prev_change_id).toBeUndefined()
    const bids: Levels = new Map()
    const asks: Levels = new Map()
    apply(bids, snapshot.bids)
    apply(asks, snapshot.asks)
    h.sink.clear()
    const { bid, ask } = h.top('BTC-PERPETUAL')
    h.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 100, price: bid - 20 }, 1)
    h.call('private/sell', { instrument_name: 'BTC-PERPETUAL', amount: 50, price: ask, type: 'limit' }, 2)
    h.exchange.market.tick(300)
    let last = snapshot.change_id
    for (const change of h.sink.on('book.BTC-PERPETUAL') as BookChange[]) {
      expect(change.prev_change_id).toBe(last)
      last = change.change_id
      apply(bids, change.bids)
      apply(asks, change.asks)
    }
    const book = h.call<{ bids: [number, number][]; asks: [number, number][]; change_id: number }>(
      'public/get_order_book',
      {
        instrument_name: 'BTC-PERPETUAL',
        depth: 1000,
      },
    )
    expect(book.change_id).toBe(last)
    expect(book.bids).toEqual([...bids].sort((a, b) => b[0] - a[0]))
    expect(book.asks).toEqual([...asks].sort((a, b) => a[0] - b[0]))
  })

  it('publishes grouped books as full snapshots at most once per 100ms of clock', () => {
    const h = harness()
    const first = h.exchange.snapshotFor('book.ETH-PERPETUAL.100.10.100ms') as {
      bids: [number, number][]
      asks: [number, number][]
    }
    expect(first.bids.length).toBeGreaterThan(0)
    for (const [price] of first.bids) expect(Number.isInteger(price)).toBe(true)
    h.sink.clear()
    for (let i = 0; i < 50; i++) {
      h.exchange.market.tick(4)
      h.clock.now += 25
    }
    const grouped = h.sink.on('book.ETH-PERPETUAL.100.10') as Record<string, unknown>[]
    expect(grouped.length).toBeGreaterThan(3)
    expect(grouped.length).toBeLessThanOrEqual(13)
    const stamps = grouped.map((g) => g.timestamp as number)
    for (let i = 1; i < stamps.length; i++)
      expect((stamps[i] as number) - (stamps[i - 1] as number)).toBeGreaterThanOrEqual(100)
    expect(grouped[0]).not.toHaveProperty('type')
    expect(grouped[0]).not.toHaveProperty('prev_change_id')
    const none = h.sink.on('book.BTC-PERPETUAL.none.1').at(-1) as { bids: [number, number][]; change_id: number }
    expect(none.bids).toHaveLength(1)
    const latest = (h.sink.on('book.BTC-PERPETUAL') as BookChange[]).at(-1) as BookChange
    expect(none.change_id).toBeLessThanOrEqual(latest.change_id)
  })

  it('burstTrades emits exactly count distinct trades with increasing trade_seq', async () => {
    const h = harness()
    await h.exchange.market.burstTrades('BTC-PERPETUAL', 25_000)
    const events = h.sink.on('trades.BTC-PERPETUAL') as Record<string, unknown>[][]
    expect(events).toHaveLength(25_000)
    const seqs = events.map((e) => {
      expect(e).toHaveLength(1)
      return e[0]?.trade_seq as number
    })
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] as number) + 1)
    expect(new Set(events.map((e) => e[0]?.trade_id)).size).toBe(25_000)
  })

  it('burstBookChanges emits exactly count chained changes and keeps the book consistent', async () => {
    const h = harness()
    const snapshot = h.exchange.snapshotFor('book.BTC-PERPETUAL.raw') as BookChange
    const bids: Levels = new Map()
    const asks: Levels = new Map()
    apply(bids, snapshot.bids)
    apply(asks, snapshot.asks)
    h.sink.clear()
    await h.exchange.market.burstBookChanges('BTC-PERPETUAL', 12_345)
    const changes = h.sink.on('book.BTC-PERPETUAL') as BookChange[]
    expect(changes).toHaveLength(12_345)
    let last = snapshot.change_id
    for (const c of changes) {
      expect(c.prev_change_id).toBe(last)
      last = c.change_id
      apply(bids, c.bids)
      apply(asks, c.asks)
    }
    const book = h.call<{ bids: [number, number][] }>('public/get_order_book', {
      instrument_name: 'BTC-PERPETUAL',
      depth: 100,
    })
    expect(book.bids).toEqual([...bids].sort((a, b) => b[0] - a[0]))
  })

  it('validates public channel names against the catalogue', () => {
    const { exchange } = harness()
    for (const ok of [
      'book.BTC-PERPETUAL.raw',
      'book.BTC-PERPETUAL.100ms',
      'book.BTC-PERPETUAL.none.10.100ms',
      'book.ETH-PERPETUAL.25.20.agg2',
      'trades.BTC-PERPETUAL.raw',
      'trades.future.BTC.100ms',
      'trades.option.any.agg2',
      'ticker.BTC_USDC-PERPETUAL.raw',
      'deribit_price_index.btc_usd',
      'ticker.ETH_USDC.100ms',
      'chart.trades.BTC-PERPETUAL.1',
      'chart.trades.ETH-PERPETUAL.1D',
      'quote.BTC_USDC',
      'incremental_ticker.ETH-PERPETUAL',
      'perpetual.BTC_USDC-PERPETUAL.agg2',
      'deribit_price_ranking.eth_usdc',
      'deribit_price_statistics.btc_usd',
      'deribit_volatility_index.eth_usd',
      'markprice.options.btc_usd',
      'estimated_expiration_price.eth_usd',
      'instrument.state.option.any',
      'platform_state',
      'platform_state.public_methods_state',
      'announcements',
    ]) {
      expect(exchange.isPublicChannel(ok), ok).toBe(true)
    }
    for (const bad of [
      'book.NOPE-PERPETUAL.raw',
      'book.BTC-PERPETUAL.1s',
      'book.BTC-PERPETUAL.none.10.raw',
      'book.BTC-PERPETUAL.25.10.100ms',
      'trades.perp.BTC.100ms',
      'ticker.BTC-PERPETUAL',
      'deribit_price_index.xrp_usd',
      'user.orders.BTC-PERPETUAL.raw',
      'user.portfolio.btc',
      'chart.trades.BTC-PERPETUAL.7',
      'chart.BTC-PERPETUAL.1',
      'perpetual.BTC_USDC.100ms',
      'quote.BTC-PERPETUAL.100ms',
      'markprice.options.btc_usdc',
      'deribit_volatility_index.xrp_usd',
      'instrument.state.perp.BTC',
      'platform_state.other',
    ]) {
      expect(exchange.isPublicChannel(bad), bad).toBe(false)
    }
    expect(exchange.snapshotFor('ticker.BTC-PERPETUAL.raw')).toBeUndefined()
  })

  it('runs on its own timer at the configured rate, and stops on pause and close', async () => {
    const h = harness({ marketRateHz: 500 })
    const count = () => h.sink.on('deribit_price_index.btc_usd').length
    await new Promise((r) => setTimeout(r, 120))
    expect(count()).toBeGreaterThan(5)
    h.exchange.market.pause()
    const paused = count()
    await new Promise((r) => setTimeout(r, 40))
    expect(count()).toBe(paused)
    h.exchange.market.resume()
    h.exchange.market.setRate(1000)
    await new Promise((r) => setTimeout(r, 60))
    expect(count()).toBeGreaterThan(paused)
    h.exchange.close()
    const closed = count()
    await new Promise((r) => setTimeout(r, 40))
    expect(count()).toBe(closed)
  })
})
