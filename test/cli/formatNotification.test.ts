import { describe, expect, it } from 'vitest'
import { formatNotification, MAX_LINE_CHARS } from '../../src/cli/formatNotification.js'
import { redactSecrets } from '../../src/cli/redactSecrets.js'

const AT = new Date('2030-01-02T03:04:05.678Z')

describe('formatNotification', () => {
  it('summarises trades, books, tickers and orders on one line', () => {
    expect(
      formatNotification(
        'trades.BTC-PERPETUAL.100ms',
        [
          { direction: 'buy', amount: 10, price: 50_000.5 },
          { direction: 'sell', amount: 20, price: 50_000 },
        ],
        AT,
      ),
    ).toBe('03:04:05.678  trades.BTC-PERPETUAL.100ms  buy 10 @ 50000.5 (+1 more)')
    expect(
      formatNotification(
        'book.BTC-PERPETUAL.100ms',
        { type: 'change', change_id: 7, bids: [['new', 49_999.5, 10]], asks: [] },
        AT,
      ),
    ).toBe('03:04:05.678  book.BTC-PERPETUAL.100ms  change #7 bids 1 asks 0 bid 49999.5')
    expect(
      formatNotification('book.BTC-PERPETUAL.none.10.100ms', { bids: [[100, 1]], asks: [[101, 2]] }, AT),
    ).toContain('book bids 1 asks 1 bid 100 ask 101')
    expect(formatNotification('ticker.BTC-PERPETUAL.100ms', { last_price: 5, mark_price: 6 }, AT)).toContain(
      'last 5  mark 6',
    )
    expect(
      formatNotification(
        'user.orders.any.any.raw',
        {
          order_id: '1',
          order_state: 'open',
          direction: 'buy',
          amount: 10,
          price: 9,
          instrument_name: 'X',
          label: 'l',
        },
        AT,
      ),
    ).toContain('1 open buy 10 @ 9 X label=l')
  })

  it("shows a market order's fill at its average_price, not at the band price in `price`", () => {
    const market = { order_id: '2', order_state: 'filled', direction: 'buy', amount: 10, instrument_name: 'X' }
    const line = formatNotification(
      'user.orders.any.any.raw',
      { ...market, order_type: 'market', price: 51_500, filled_amount: 10, average_price: 50_012.5 },
      AT,
    )
    expect(line).toContain('2 filled buy 10 market X filled 10 @ 50012.5')
    expect(line).not.toContain('51500')
    const limit = {
      ...market,
      order_state: 'open',
      order_type: 'limit',
      price: 50_100,
      filled_amount: 4,
      average_price: 50_050,
    }
    expect(formatNotification('user.orders.any.any.raw', limit, AT)).toContain(
      '2 open buy 10 @ 50100 X filled 4 @ 50050',
    )
  })

  it('falls back to JSON for unknown channels and odd shapes, never throwing', () => {
    expect(formatNotification('platform_state', { locked: false }, AT)).toBe(
      '03:04:05.678  platform_state  {"locked":false}',
    )
    const circular: Record<string, unknown> = {}
    circular.self = circular
    for (const data of [null, undefined, 42, 'text', [], [null], { bids: 'no' }, circular, 10n]) {
      expect(() => formatNotification('book.X.100ms', data, AT)).not.toThrow()
      expect(() => formatNotification('trades.X.raw', data, AT)).not.toThrow()
    }
    expect(formatNotification('x', 'a'.repeat(1000), AT)).toHaveLength(MAX_LINE_CHARS)
  })
})

describe('redactSecrets', () => {
  it('replaces token and secret values at any depth and keeps everything else', () => {
    expect(
      redactSecrets({
        access_token: 'a',
        nested: [{ refresh_token: 'r', client_secret: 's', keep: 1 }],
        expires_in: 9,
      }),
    ).toEqual({
      access_token: '[redacted]',
      nested: [{ refresh_token: '[redacted]', client_secret: '[redacted]', keep: 1 }],
      expires_in: 9,
    })
    expect(redactSecrets(5)).toBe(5)
  })
})
