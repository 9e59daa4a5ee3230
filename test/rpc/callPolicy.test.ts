import { describe, expect, it } from 'vitest'
import { isMatchingEngineMethod, isRepeatable, MATCHING_ENGINE_METHODS } from '../../src/rpc/callPolicy.js'

describe('call policy', () => {
  it('knows the matching-engine methods', () => {
    for (const method of ['private/buy', 'private/sell', 'private/edit', 'private/cancel', 'private/cancel_all']) {
      expect(isMatchingEngineMethod(method)).toBe(true)
    }
    expect(isMatchingEngineMethod('private/close_position')).toBe(true)
    expect(isMatchingEngineMethod('private/get_open_orders_by_currency')).toBe(false)
    expect(isMatchingEngineMethod('public/subscribe')).toBe(false)
  })

  it('repeats reads, public methods and subscriptions', () => {
    for (const method of [
      'public/get_instruments',
      'public/test',
      'public/subscribe',
      'public/unsubscribe',
      'private/subscribe',
      'private/unsubscribe_all',
      'private/get_order_state',
      'private/get_positions',
      'private/enable_cancel_on_disconnect',
    ]) {
      expect(isRepeatable(method), method).toBe(true)
    }
    expect(isRepeatable('public/auth', { grant_type: 'client_signature' })).toBe(true)
  })

  it('never repeats orders, token operations, logout or unknown private writes', () => {
    for (const method of MATCHING_ENGINE_METHODS) expect(isRepeatable(method), method).toBe(false)
    expect(isRepeatable('public/exchange_token')).toBe(false)
    expect(isRepeatable('public/fork_token')).toBe(false)
    expect(isRepeatable('public/auth', { grant_type: 'refresh_token', refresh_token: 'x' })).toBe(false)
    expect(isRepeatable('public/auth')).toBe(false)
    expect(isRepeatable('private/logout')).toBe(false)
    expect(isRepeatable('private/withdraw')).toBe(false)
    expect(isRepeatable('private/submit_transfer_to_subaccount')).toBe(false)
  })
})
