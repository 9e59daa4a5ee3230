import { describe, expect, it } from 'vitest'
import { DeribitError, ProtocolError, TimeoutError } from '../../src/errors.js'
import { settleByLabel } from '../../src/orders/orderSettlement.js'
import { FakeRpc } from '../session/fakeRpc.js'
import { order } from './orderFixtures.js'

const METHOD = 'private/get_order_state_by_label'

describe('settleByLabel', () => {
  it('asks by currency and label, and returns the newest order with that label', async () => {
    const older = order({ order_id: '1', label: 'L', creation_timestamp: 1, last_update_timestamp: 9 })
    const newer = order({ order_id: '2', label: 'L', creation_timestamp: 5, order_state: 'filled' })
    const rpc = new FakeRpc().on(METHOD, () => [older, newer])
    const signal = new AbortController().signal
    await expect(
      settleByLabel(rpc, { label: 'L', instrumentName: 'BTC_USDC-PERPETUAL' }, { signal, timeoutMs: 100 }),
    ).resolves.toEqual(newer)
    expect(rpc.calls).toEqual([
      { method: METHOD, params: { currency: 'USDC', label: 'L' }, options: { signal, timeoutMs: 100 } },
    ])
  })

  it('prefers the asked instrument and ignores other labels', async () => {
    const other = order({ order_id: '3', label: 'L', instrument_name: 'BTC-27DEC26', creation_timestamp: 9 })
    const mine = order({ order_id: '4', label: 'L', creation_timestamp: 2 })
    const foreign = order({ order_id: '5', label: 'M', creation_timestamp: 99 })
    const rpc = new FakeRpc().on(METHOD, () => [other, mine, foreign])
    expect(await settleByLabel(rpc, { label: 'L', instrumentName: 'BTC-PERPETUAL' })).toEqual(mine)
  })

  it('returns undefined when the exchange has no such order (empty list or order_not_found)', async () => {
    expect(
      await settleByLabel(
        new FakeRpc().on(METHOD, () => []),
        { label: 'L', instrumentName: 'BTC-PERPETUAL' },
      ),
    ).toBe(undefined)
    const notFound = new FakeRpc().on(METHOD, () => {
      throw new DeribitError('RPC_ERROR', 'order_not_found', { exchangeCode: 10004 })
    })
    expect(await settleByLabel(notFound, { label: 'L', instrumentName: 'BTC-PERPETUAL' })).toBeUndefined()
  })

  it('propagates lookup failures and malformed answers (outcome still unknown)', async () => {
    const timeout = new TimeoutError('no answer')
    const failing = new FakeRpc().on(METHOD, () => {
      throw timeout
    })
    await expect(settleByLabel(failing, { label: 'L', instrumentName: 'BTC-PERPETUAL' })).rejects.toBe(timeout)
    const notArray = new FakeRpc().on(METHOD, () => ({ orders: [] }))
    await expect(settleByLabel(notArray, { label: 'L', instrumentName: 'BTC-PERPETUAL' })).rejects.toBeInstanceOf(
      ProtocolError,
    )
    const junk = new FakeRpc().on(METHOD, () => [{ order_id: 7 }])
    await expect(settleByLabel(junk, { label: 'L', instrumentName: 'BTC-PERPETUAL' })).rejects.toBeInstanceOf(
      ProtocolError,
    )
  })
})
