import { describe, expect, it } from 'vitest'
import {
  channelInstrument,
  channelInterval,
  isIncrementalBookChannel,
  isPrivateChannel,
  needsAuth,
} from '../../src/protocol/channels.js'

describe('channel names', () => {
  it('tells incremental books (which chain by change_id) from grouped books and other channels', () => {
    expect(isIncrementalBookChannel('book.BTC-PERPETUAL.100ms')).toBe(true)
    expect(isIncrementalBookChannel('book.BTC_USDC-PERPETUAL.raw')).toBe(true)
    expect(isIncrementalBookChannel('book.ETH-PERPETUAL.100.1.100ms')).toBe(false)
    expect(isIncrementalBookChannel('book.BTC-PERPETUAL')).toBe(false)
    expect(isIncrementalBookChannel('trades.BTC-PERPETUAL.raw')).toBe(false)
  })

  it('knows which channels are private, which need auth, their interval and instrument', () => {
    expect(isPrivateChannel('user.orders.any.any.raw')).toBe(true)
    expect(isPrivateChannel('ticker.BTC-PERPETUAL.raw')).toBe(false)
    expect(needsAuth('ticker.BTC-PERPETUAL.raw')).toBe(true)
    expect(needsAuth('ticker.BTC-PERPETUAL.100ms')).toBe(false)
    expect(channelInterval('trades.BTC-PERPETUAL.agg2')).toBe('agg2')
    expect(channelInterval('deribit_price_index.btc_usd')).toBeUndefined()
    expect(channelInstrument('user.orders.BTC-PERPETUAL.raw')).toBe('BTC-PERPETUAL')
    expect(channelInstrument('book.ETH-PERPETUAL.100ms')).toBe('ETH-PERPETUAL')
    expect(channelInstrument('user.orders.any.any.raw')).toBeUndefined()
  })
})
