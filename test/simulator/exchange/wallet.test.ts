import { afterEach, describe, expect, it } from 'vitest'
import { PENDING_MS, WITHDRAWAL_FEES } from '../../../src/simulator/exchange/wallet.js'
import { book, closeAll, type Harness, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
const MAIN = 1
const SUB = 21
const SIBLING = 22
const OTHER = 2

function tree(): Harness {
  const h = harness()
  h.exchange.openAccount(SUB, { type: 'subaccount', mainAccountId: MAIN, username: 'sub_a' })
  h.exchange.openAccount(SIBLING, { type: 'subaccount', mainAccountId: MAIN, username: 'sub_b' })
  return h
}

function balance(h: Harness, account: number, currency = 'BTC'): number {
  return h.call<Json>('private/get_account_summary', { currency }, account).balance as number
}

describe('transfers', () => {
  it('moves balances between accounts of a tree at once and lists the transfer on both sides', () => {
    const h = tree()
    const t = h.call<Json>(
      'private/submit_transfer_to_subaccount',
      { currency: 'BTC', amount: 1.5, destination: SUB },
      MAIN,
    )
    expect(t).toMatchObject({
      type: 'subaccount',
      state: 'confirmed',
      direction: 'payment',
      other_side: 'sub_a',
      amount: 1.5,
    })
    expect(balance(h, MAIN)).toBe(8.5)
    expect(balance(h, SUB)).toBe(11.5)
    const mine = h.call<{ count: number; data: Json[] }>('private/get_transfers', { currency: 'BTC' }, MAIN)
    expect(mine).toEqual({ count: 1, data: [expect.objectContaining({ id: t.id, direction: 'payment' })] })
    const theirs = h.call<{ count: number; data: Json[] }>('private/get_transfers', { currency: 'BTC' }, SUB)
    expect(theirs.data[0]).toMatchObject({ id: t.id, direction: 'income', other_side: 'sim_user_1' })
    expect(h.call<{ count: number }>('private/get_transfers', { currency: 'ETH' }, MAIN).count).toBe(0)
  })

  it('lets the main account move money between two subaccounts, once per nonce', () => {
    const h = tree()
    const params = { currency: 'ETH', amount: 7, source: SUB, destination: SIBLING, nonce: 'n-1' }
    const first = h.call<Json>('private/submit_transfer_between_subaccounts', params, MAIN)
    const again = h.call<Json>('private/submit_transfer_between_subaccounts', params, MAIN)
    expect(again.id).toBe(first.id)
    expect(balance(h, SUB, 'ETH')).toBe(93)
    expect(balance(h, SIBLING, 'ETH')).toBe(107)
    expect(h.fail('private/submit_transfer_between_subaccounts', { ...params, nonce: 'n-2' }, SIBLING)).toMatchObject({
      code: -32602,
      data: { param: 'source' },
    })
  })

  it('refuses transfers beyond the available funds, outside the tree, or of nothing', () => {
    const h = tree()
    expect(
      h.fail('private/submit_transfer_to_subaccount', { currency: 'BTC', amount: 10.01, destination: SUB }, MAIN),
    ).toMatchObject({ code: 10009 })
    expect(
      h.fail('private/submit_transfer_to_subaccount', { currency: 'BTC', amount: 1, destination: OTHER }, MAIN),
    ).toMatchObject({ code: -32602, data: { param: 'destination' } })
    expect(
      h.fail('private/submit_transfer_to_subaccount', { currency: 'BTC', amount: 0, destination: SUB }, MAIN),
    ).toMatchObject({ code: -32602, data: { param: 'amount' } })
    expect(balance(h, MAIN)).toBe(10)
  })

  it('holds a transfer to another user until it confirms; cancelled before that, it refunds', () => {
    const h = tree()
    const { address } = h.call<{ address: string }>('private/create_deposit_address', { currency: 'BTC' }, OTHER)
    const transfer = { currency: 'BTC', amount: 2, destination: address }
    expect(h.fail('private/submit_transfer_to_user', transfer, MAIN)).toMatchObject({
      code: -32602,
      data: { param: 'destination' },
    })
    expect(balance(h, MAIN)).toBe(10)
    book(h, MAIN, 'BTC', 'transfer', address)
    const t = h.call<Json>('private/submit_transfer_to_user', transfer, MAIN)
    expect(t).toMatchObject({ type: 'user', state: 'prepared' })
    expect(balance(h, MAIN)).toBe(8)
    expect(balance(h, OTHER)).toBe(10)
    const cancelled = h.call<Json>('private/cancel_transfer_by_id', { currency: 'BTC', id: t.id }, MAIN)
    expect(cancelled.state).toBe('cancelled')
    expect(balance(h, MAIN)).toBe(10)
    const u = h.call<Json>('private/submit_transfer_to_user', { ...transfer, amount: 3 }, MAIN)
    h.clock.now += PENDING_MS
    expect(balance(h, OTHER)).toBe(13)
    expect(balance(h, MAIN)).toBe(7)
    expect(h.fail('private/cancel_transfer_by_id', { currency: 'BTC', id: u.id }, MAIN)).toMatchObject({ code: -32602 })
    const incoming = h.call<{ data: Json[] }>('private/get_transfers', { currency: 'BTC' }, OTHER).data
    expect(incoming).toEqual([expect.objectContaining({ id: u.id, state: 'confirmed', direction: 'income' })])
  })
})

describe('deposits and withdrawals', () => {
  it('a withdrawal to another account deposit address arrives there as a deposit once confirmed', () => {
    const h = tree()
    expect(h.call('private/get_current_deposit_address', { currency: 'BTC' }, OTHER)).toBeNull()
    const address = h.call<Json>('private/create_deposit_address', { currency: 'BTC' }, OTHER)
    expect(h.call<Json>('private/get_current_deposit_address', { currency: 'BTC' }, OTHER).address).toBe(
      address.address,
    )
    book(h, MAIN, 'BTC', 'withdrawal', address.address as string)
    const w = h.call<Json>('private/withdraw', { currency: 'BTC', address: address.address, amount: 1 }, MAIN)
    expect(w).toMatchObject({ state: 'unconfirmed', fee: WITHDRAWAL_FEES.BTC, confirmed_timestamp: null })
    expect(balance(h, MAIN)).toBeCloseTo(10 - 1 - (WITHDRAWAL_FEES.BTC ?? 0), 8)
    h.clock.now += PENDING_MS
    expect(balance(h, OTHER)).toBe(11)
    const deposits = h.call<{ count: number; data: Json[] }>('private/get_deposits', { currency: 'BTC' }, OTHER)
    expect(deposits.data).toEqual([
      expect.objectContaining({ address: address.address, amount: 1, state: 'completed' }),
    ])
    const withdrawals = h.call<{ data: Json[] }>('private/get_withdrawals', { currency: 'BTC' }, MAIN).data
    expect(withdrawals).toEqual([expect.objectContaining({ id: w.id, state: 'completed' })])
  })

  it('an unconfirmed withdrawal can be cancelled and refunds amount and fee', () => {
    const h = tree()
    book(h, MAIN, 'ETH', 'withdrawal', '0xexternal')
    const w = h.call<Json>(
      'private/withdraw',
      { currency: 'ETH', address: '0xexternal', amount: 5, priority: 'low' },
      MAIN,
    )
    expect(h.call<Json>('private/cancel_withdrawal', { currency: 'ETH', id: w.id }, MAIN).state).toBe('cancelled')
    expect(balance(h, MAIN, 'ETH')).toBe(100)
    expect(h.fail('private/withdraw', { currency: 'ETH', address: '0xexternal', amount: 100 }, MAIN)).toMatchObject({
      code: 10009,
    })
    expect(
      h.fail('private/withdraw', { currency: 'ETH', address: '0xexternal', amount: 1, priority: 'asap' }, MAIN),
    ).toMatchObject({
      code: -32602,
      data: { param: 'priority' },
    })
  })

  it('a faucet deposit raises the balance and is listed', () => {
    const h = tree()
    h.exchange.deposit(MAIN, 'USDC', 250)
    expect(balance(h, MAIN, 'USDC')).toBe(100_250)
    expect(h.call<{ count: number }>('private/get_deposits', { currency: 'USDC' }, MAIN).count).toBe(1)
  })
})

describe('transaction log', () => {
  it('records trades and transfers with the balance after each, newest first, and pages by continuation', () => {
    const h = tree()
    const start = h.clock.now
    h.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 100, type: 'market' }, MAIN)
    h.clock.now += 1000
    h.call('private/submit_transfer_to_subaccount', { currency: 'BTC', amount: 1, destination: SUB }, MAIN)
    const query = { currency: 'BTC', start_timestamp: start, end_timestamp: h.clock.now }
    const log = h.call<{ logs: Json[]; continuation: number | null }>('private/get_transaction_log', query, MAIN)
    expect(log.logs.map((e) => e.type)).toEqual(['transfer', 'trade'])
    expect(log.logs[0]).toMatchObject({ change: -1, balance: balance(h, MAIN), user_id: MAIN })
    expect(log.logs[1]).toMatchObject({ instrument_name: 'BTC-PERPETUAL', side: 'buy', amount: 100 })
    const first = h.call<{ logs: Json[]; continuation: number | null }>(
      'private/get_transaction_log',
      { ...query, count: 1 },
      MAIN,
    )
    expect(first.logs.map((e) => e.type)).toEqual(['transfer'])
    const rest = h.call<{ logs: Json[]; continuation: number | null }>(
      'private/get_transaction_log',
      { ...query, count: 1, continuation: first.continuation },
      MAIN,
    )
    expect(rest.logs.map((e) => e.type)).toEqual(['trade'])
    const sub = h.call<{ logs: Json[] }>('private/get_transaction_log', { ...query, subaccount_id: SUB }, MAIN)
    expect(sub.logs).toEqual([expect.objectContaining({ type: 'transfer', change: 1, user_id: SUB })])
  })
})
