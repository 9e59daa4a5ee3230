import { afterEach, describe, expect, it } from 'vitest'
import { PENDING_MS } from '../../../src/simulator/exchange/wallet.js'
import { book, closeAll, harness } from './harness.js'

afterEach(closeAll)

type Json = Record<string, unknown>
const MAIN = 1
const OTHER = 2

const beneficiary = {
  beneficiary_vasp_name: 'Simulated VASP',
  beneficiary_vasp_did: 'did:sim:vasp',
  beneficiary_first_name: 'Ada',
  beneficiary_last_name: 'Lovelace',
  beneficiary_address: '12 St James Square, London',
  agreed: true,
  personal: false,
}

describe('address book', () => {
  it('keeps entries per currency and type, updates them in place and removes them', () => {
    const h = harness()
    const added = h.call<Json>(
      'private/add_to_address_book',
      { currency: 'BTC', type: 'withdrawal', address: 'bc1qcold', label: 'cold', ...beneficiary },
      MAIN,
    )
    expect(added).toMatchObject({
      currency: 'BTC',
      type: 'withdrawal',
      address: 'bc1qcold',
      label: 'cold',
      beneficiary_first_name: 'Ada',
      status: 'ready',
      creation_timestamp: h.clock.now,
    })
    expect(h.call<Json[]>('private/get_address_book', { currency: 'BTC', type: 'withdrawal' }, MAIN)).toHaveLength(1)
    expect(h.call<Json[]>('private/get_address_book', { currency: 'BTC', type: 'transfer' }, MAIN)).toEqual([])
    expect(h.call<Json[]>('private/get_address_book', { currency: 'ETH', type: 'withdrawal' }, MAIN)).toEqual([])
    // Another account's book is its own.
    expect(h.call<Json[]>('private/get_address_book', { currency: 'BTC', type: 'withdrawal' }, OTHER)).toEqual([])

    const again = { currency: 'BTC', type: 'withdrawal', address: 'bc1qcold', label: 'again', ...beneficiary }
    expect(h.fail('private/add_to_address_book', again, MAIN)).toMatchObject({
      code: -32602,
      data: { param: 'address' },
    })
    const update = { ...again, label: 'renamed', beneficiary_company_name: 'Ada Ltd' }
    expect(h.call('private/update_in_address_book', update, MAIN)).toBe('ok')
    expect(h.call<Json[]>('private/get_address_book', { currency: 'BTC', type: 'withdrawal' }, MAIN)).toEqual([
      expect.objectContaining({ label: 'renamed', beneficiary_company_name: 'Ada Ltd' }),
    ])
    const where = { currency: 'BTC', type: 'withdrawal', address: 'bc1qcold' }
    expect(h.call('private/remove_from_address_book', where, MAIN)).toBe('ok')
    expect(h.fail('private/remove_from_address_book', where, MAIN)).toMatchObject({ code: -32602 })
    expect(h.fail('private/update_in_address_book', update, MAIN)).toMatchObject({ code: -32602 })
    expect(h.call<Json[]>('private/get_address_book', { currency: 'BTC', type: 'withdrawal' }, MAIN)).toEqual([])
  })

  it('refuses entries without consent or without a named beneficiary', () => {
    const h = harness()
    const entry = { currency: 'BTC', type: 'withdrawal', address: 'bc1q', label: 'x', ...beneficiary }
    expect(h.fail('private/add_to_address_book', { ...entry, agreed: false }, MAIN)).toMatchObject({
      data: { param: 'agreed' },
    })
    const { beneficiary_last_name: _, ...noLastName } = entry
    expect(h.fail('private/add_to_address_book', noLastName, MAIN)).toMatchObject({
      data: { param: 'beneficiary_first_name' },
    })
    expect(h.fail('private/add_to_address_book', { ...entry, address: 'has space' }, MAIN)).toMatchObject({
      data: { param: 'address' },
    })
    expect(h.fail('private/add_to_address_book', { ...entry, currency: 'SOL' }, MAIN)).toMatchObject({
      data: { param: 'currency' },
    })
  })

  it('adds an ERC-20 address for its extra currencies, and refuses extra currencies for a coin address', () => {
    const h = harness()
    const entry = { type: 'withdrawal', address: '0xabc', label: 'erc20', ...beneficiary }
    h.call('private/add_to_address_book', { ...entry, currency: 'USDC', extra_currencies: ['USDC'] }, MAIN)
    expect(h.call<Json[]>('private/get_address_book', { currency: 'USDC', type: 'withdrawal' }, MAIN)).toHaveLength(1)
    expect(
      h.fail('private/add_to_address_book', { ...entry, currency: 'BTC', extra_currencies: ['USDC'] }, MAIN),
    ).toMatchObject({ data: { param: 'extra_currencies' } })
  })

  it('is the only way to withdraw: an address must be in the withdrawal book of that currency', () => {
    const h = harness()
    const withdrawal = { currency: 'BTC', address: 'bc1qexternal', amount: 1 }
    expect(h.fail('private/withdraw', withdrawal, MAIN)).toMatchObject({ code: -32602, data: { param: 'address' } })
    book(h, MAIN, 'BTC', 'transfer', 'bc1qexternal')
    book(h, MAIN, 'ETH', 'withdrawal', 'bc1qexternal')
    expect(h.fail('private/withdraw', withdrawal, MAIN)).toMatchObject({ data: { param: 'address' } })
    book(h, MAIN, 'BTC', 'withdrawal', 'bc1qexternal')
    expect(h.call<Json>('private/withdraw', withdrawal, MAIN)).toMatchObject({ state: 'unconfirmed', amount: 1 })
    // Only the main account sends money out of the tree, as Deribit's `mainaccount` scope says.
    h.exchange.openAccount(21, { type: 'subaccount', mainAccountId: MAIN })
    book(h, 21, 'BTC', 'withdrawal', 'bc1qexternal')
    expect(h.fail('private/withdraw', withdrawal, 21)).toMatchObject({ code: 13021 })
    book(h, 21, 'BTC', 'transfer', 'bc1qexternal')
    const toUser = { currency: 'BTC', amount: 1, destination: 'bc1qexternal' }
    expect(h.fail('private/submit_transfer_to_user', toUser, 21)).toMatchObject({ code: 13021 })
    // Removing the entry stops further withdrawals there.
    h.call('private/remove_from_address_book', { currency: 'BTC', type: 'withdrawal', address: 'bc1qexternal' }, MAIN)
    expect(h.fail('private/withdraw', withdrawal, MAIN)).toMatchObject({ data: { param: 'address' } })
  })
})

describe('deposit clearance', () => {
  it('holds a deposit from an undeclared wallet until its originator is named, then credits it', () => {
    const h = harness()
    const before = h.call<Json>('private/get_account_summary', { currency: 'BTC' }, MAIN).balance
    h.exchange.deposit(MAIN, 'BTC', 2, 'bc1qstranger')
    const [held] = h.call<{ data: Json[] }>('private/get_deposits', { currency: 'BTC' }, MAIN).data
    expect(held).toMatchObject({ state: 'pending', clearance_state: 'pending_user_input', amount: 2 })
    expect(h.call<Json>('private/get_account_summary', { currency: 'BTC' }, MAIN).balance).toBe(before)

    const depositId = { currency: 'BTC', user_id: MAIN, address: held?.address, tx_hash: held?.transaction_id }
    const originator = { is_personal: false, company_name: 'Sender Ltd', address: 'Amsterdam' }
    expect(
      h.fail('private/set_clearance_originator', { deposit_id: { ...depositId, user_id: OTHER }, originator }, MAIN),
    ).toMatchObject({ data: { param: 'deposit_id' } })
    expect(
      h.fail('private/set_clearance_originator', { deposit_id: depositId, originator: { is_personal: true } }, MAIN),
    ).toMatchObject({ data: { param: 'originator' } })
    // GET carries both objects as JSON text.
    const cleared = h.call<Json>(
      'private/set_clearance_originator',
      { deposit_id: JSON.stringify(depositId), originator: JSON.stringify(originator) },
      MAIN,
    )
    expect(cleared).toMatchObject({ state: 'completed', clearance_state: 'success', amount: 2 })
    expect(h.call<Json>('private/get_account_summary', { currency: 'BTC' }, MAIN).balance).toBe(Number(before) + 2)
    expect(h.fail('private/set_clearance_originator', { deposit_id: depositId, originator }, MAIN)).toMatchObject({
      data: { param: 'deposit_id' },
    })
  })

  it('credits at once a deposit from a declared deposit source, from the faucet, or from another simulated user', () => {
    const h = harness()
    book(h, MAIN, 'ETH', 'deposit_source', '0xmine')
    h.exchange.deposit(MAIN, 'ETH', 3, '0xmine')
    h.exchange.deposit(MAIN, 'ETH', 1)
    const { address } = h.call<{ address: string }>('private/create_deposit_address', { currency: 'ETH' }, MAIN)
    book(h, OTHER, 'ETH', 'withdrawal', address)
    h.call('private/withdraw', { currency: 'ETH', address, amount: 5 }, OTHER)
    h.clock.now += PENDING_MS
    const deposits = h.call<{ data: Json[] }>('private/get_deposits', { currency: 'ETH' }, MAIN).data
    expect(deposits.map((d) => [d.amount, d.state, d.clearance_state])).toEqual([
      [5, 'completed', 'success'],
      [1, 'completed', 'success'],
      [3, 'completed', 'success'],
    ])
    expect(h.call<Json>('private/get_account_summary', { currency: 'ETH' }, MAIN).balance).toBe(109)
  })
})

describe('address beneficiaries', () => {
  const saved = { currency: 'BTC', address: 'bc1qbenef', unhosted: true, ...beneficiary }

  it('saves, replaces, reads and deletes the beneficiary of an address', () => {
    const h = harness()
    const first = h.call<Json>('private/save_address_beneficiary', saved, MAIN)
    expect(first).toMatchObject({ user_id: MAIN, unhosted: true, tag: null, beneficiary_first_name: 'Ada' })
    h.clock.now += 1000
    const second = h.call<Json>('private/save_address_beneficiary', { ...saved, unhosted: false }, MAIN)
    expect(second).toMatchObject({ unhosted: false, created: first.created, updated: h.clock.now })
    const where = { currency: 'BTC', address: 'bc1qbenef' }
    expect(h.call<Json>('private/get_address_beneficiary', where, MAIN)).toEqual(second)
    expect(h.fail('private/get_address_beneficiary', where, OTHER)).toMatchObject({ code: -32602 })
    expect(h.fail('private/get_address_beneficiary', { ...where, tag: '7' }, MAIN)).toMatchObject({ code: -32602 })
    expect(h.call('private/delete_address_beneficiary', where, MAIN)).toBe('ok')
    expect(h.fail('private/delete_address_beneficiary', where, MAIN)).toMatchObject({ code: -32602 })
  })

  it('lists with filters and pages with a continuation', () => {
    const h = harness()
    for (const [i, currency] of ['BTC', 'BTC', 'ETH'].entries()) {
      h.clock.now += 1000
      h.call('private/save_address_beneficiary', { ...saved, currency, address: `addr${i}`, unhosted: i === 1 }, MAIN)
    }
    const all = h.call<{ data: Json[]; count: number }>('private/list_address_beneficiaries', {}, MAIN)
    expect(all.count).toBe(3)
    expect(all.data.map((r) => r.address)).toEqual(['addr0', 'addr1', 'addr2'])
    const btc = h.call<{ data: Json[] }>(
      'private/list_address_beneficiaries',
      { currency: 'BTC', unhosted: false },
      MAIN,
    )
    expect(btc.data.map((r) => r.address)).toEqual(['addr0'])
    const page1 = h.call<{ data: Json[]; continuation?: string }>(
      'private/list_address_beneficiaries',
      { limit: 2 },
      MAIN,
    )
    expect(page1.data.map((r) => r.address)).toEqual(['addr0', 'addr1'])
    const page2 = h.call<{ data: Json[]; continuation?: string }>(
      'private/list_address_beneficiaries',
      { limit: 2, continuation: page1.continuation },
      MAIN,
    )
    expect(page2.data.map((r) => r.address)).toEqual(['addr2'])
    expect(page2.continuation).toBeUndefined()
    const recent = h.call<{ data: Json[] }>(
      'private/list_address_beneficiaries',
      { created_after: h.clock.now - 500 },
      MAIN,
    )
    expect(recent.data.map((r) => r.address)).toEqual(['addr2'])
    expect(h.call<{ count: number }>('private/list_address_beneficiaries', {}, OTHER).count).toBe(0)
  })
})

describe('custody accounts', () => {
  it('lists the custody accounts linked to the account in a currency', () => {
    const h = harness()
    expect(h.call('private/list_custody_accounts', { currency: 'BTC' }, MAIN)).toEqual([])
    h.exchange.linkCustodyAccount(MAIN, { currency: 'BTC', name: 'copper', balance: 5 })
    expect(h.call('private/list_custody_accounts', { currency: 'BTC' }, MAIN)).toEqual([
      expect.objectContaining({ currency: 'BTC', name: 'copper', balance: 5, pending_withdrawal_balance: 0 }),
    ])
    expect(h.call('private/list_custody_accounts', { currency: 'ETH' }, MAIN)).toEqual([])
    expect(h.call('private/list_custody_accounts', { currency: 'BTC' }, OTHER)).toEqual([])
    expect(() => h.exchange.linkCustodyAccount(MAIN, { currency: 'BTC', name: 'copper' })).toThrow(RangeError)
  })
})
