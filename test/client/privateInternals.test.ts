import { describe, expect, it } from 'vitest'
import * as entry from '../../src/index.js'
import { startWorld } from './harness.js'

describe('what only the client may do is not reachable from what it hands out', () => {
  it('a book, a subscription and client.orders expose no way to feed, end or silence them', async () => {
    await using world = await startWorld()
    const { client } = world
    await client.connect()
    const book = await client.orderBook('BTC-PERPETUAL', { interval: '100ms' })
    const sub = await client.subscribe('ticker.BTC-PERPETUAL.100ms')
    for (const name of ['apply', 'reset', 'emit', 'removeAllListeners']) expect(name in book).toBe(false)
    for (const name of ['push', 'end']) expect(name in sub).toBe(false)
    for (const name of ['apply', 'reconcile', 'applyOpenList', 'settleVanished', 'emit', 'removeAllListeners']) {
      expect(name in client.orders).toBe(false)
    }
    // Nor does the package entry export the client's handles on them.
    const exported = Object.keys(entry)
    expect(exported.filter((name) => /internals/i.test(name))).toEqual([])
    expect(exported).toContain('LocalOrderBook')
    await sub.unsubscribe()
    await book.close()
  })
})
