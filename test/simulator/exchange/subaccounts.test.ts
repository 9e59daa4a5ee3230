import { afterEach, describe, expect, it } from 'vitest'
import { startSimulator } from '../../../src/simulator/index.js'
import { BareClient } from '../server/helpers.js'
import { closeAll, type Harness, harness } from './harness.js'

afterEach(closeAll)

const BTC = 'BTC-PERPETUAL'
const MAIN = 1
const SUB = 21
const SIBLING = 22

/** Account 1 with subaccounts 21 and 22; account 2 is another main account. */
function tree(): Harness {
  const h = harness()
  h.exchange.openAccount(SUB, { type: 'subaccount', mainAccountId: MAIN, username: 'sub_a' })
  h.exchange.openAccount(SIBLING, { type: 'subaccount', mainAccountId: MAIN, username: 'sub_b' })
  return h
}

type Json = Record<string, unknown>

describe('subaccount_id on reads', () => {
  it("get_positions and get_account_summary with subaccount_id return that subaccount's data", () => {
    const h = tree()
    h.call('private/buy', { instrument_name: BTC, amount: 100, type: 'market' }, SUB)
    const own = h.call<Json[]>('private/get_positions', { currency: 'BTC' }, MAIN)
    expect(own).toEqual([])
    const subs = h.call<Json[]>('private/get_positions', { currency: 'BTC', subaccount_id: SUB }, MAIN)
    expect(subs).toEqual([expect.objectContaining({ instrument_name: BTC, size: 100 })])
    const summary = h.call<Json>('private/get_account_summary', { currency: 'BTC', subaccount_id: SUB }, MAIN)
    expect(summary).toMatchObject({ id: SUB, type: 'subaccount', username: 'sub_a' })
    expect(summary.balance as number).toBeLessThan(10)
    const summaries = h.call<Json>('private/get_account_summaries', { subaccount_id: SIBLING }, MAIN)
    expect(summaries.id).toBe(SIBLING)
  })

  it('refuses subaccount_id of an account outside the caller: a sibling, the main account, another tree', () => {
    const h = tree()
    expect(h.fail('private/get_positions', { subaccount_id: SIBLING }, SUB)).toMatchObject({
      code: -32602,
      data: { param: 'subaccount_id' },
    })
    expect(h.fail('private/get_account_summary', { currency: 'BTC', subaccount_id: MAIN }, SUB)).toMatchObject({
      code: -32602,
    })
    expect(h.fail('private/get_positions', { subaccount_id: SUB }, 2)).toMatchObject({ code: -32602 })
    // Naming oneself is allowed.
    expect(h.call<Json>('private/get_account_summary', { currency: 'BTC', subaccount_id: SUB }, SUB).id).toBe(SUB)
  })
})

describe('subaccount management', () => {
  it('lists the tree; a subaccount sees its main account and itself only', () => {
    const h = tree()
    const all = h.call<Json[]>('private/get_subaccounts', { with_portfolio: true }, MAIN)
    expect(all.map((a) => [a.id, a.type])).toEqual([
      [MAIN, 'main'],
      [SUB, 'subaccount'],
      [SIBLING, 'subaccount'],
    ])
    expect(all[1]).toMatchObject({ portfolio: { btc: { currency: 'btc', balance: 10 } } })
    const seen = h.call<Json[]>('private/get_subaccounts', {}, SUB)
    expect(seen.map((a) => a.id)).toEqual([MAIN, SUB])
    expect(seen[1]?.portfolio).toBeUndefined()
  })

  it('creates, renames, toggles and removes subaccounts, and every read shows the change', () => {
    const h = tree()
    const created = h.call<Json>('private/create_subaccount', {}, MAIN)
    const id = created.id as number
    expect(created).toMatchObject({ type: 'subaccount', login_enabled: false })
    expect(h.call<Json[]>('private/get_subaccounts', {}, MAIN).map((a) => a.id)).toContain(id)
    expect(h.call('private/change_subaccount_name', { sid: id, name: 'desk_two' }, MAIN)).toBe('ok')
    expect(h.fail('private/change_subaccount_name', { sid: SUB, name: 'desk_two' }, MAIN)).toMatchObject({
      code: -32602,
      data: { param: 'name' },
    })
    h.call('private/toggle_subaccount_login', { sid: id, state: 'enable' }, MAIN)
    h.call('private/set_email_for_subaccount', { sid: id, email: 'desk@example.com' }, MAIN)
    h.call('private/toggle_notifications_from_subaccount', { sid: id, state: false }, MAIN)
    const row = h.call<Json[]>('private/get_subaccounts', {}, MAIN).find((a) => a.id === id)
    expect(row).toMatchObject({
      username: 'desk_two',
      login_enabled: true,
      not_confirmed_email: 'desk@example.com',
      receive_notifications: false,
    })
    expect(h.fail('private/create_subaccount', {}, SUB)).toMatchObject({ code: 13021 })
    expect(h.fail('private/toggle_subaccount_login', { sid: id, state: 'on' }, MAIN)).toMatchObject({ code: -32602 })
    // A new subaccount starts empty; with funds it cannot be removed, emptied again it can.
    expect(h.call<Json>('private/get_account_summary', { currency: 'BTC' }, id).balance).toBe(0)
    h.call('private/submit_transfer_to_subaccount', { currency: 'BTC', amount: 1, destination: id }, MAIN)
    expect(h.fail('private/remove_subaccount', { subaccount_id: id }, MAIN)).toMatchObject({ code: -32602 })
    h.call('private/submit_transfer_to_subaccount', { currency: 'BTC', amount: 1, destination: MAIN }, id)
    expect(h.call('private/remove_subaccount', { subaccount_id: id }, MAIN)).toBe('ok')
    expect(h.call<Json[]>('private/get_subaccounts', {}, MAIN).map((a) => a.id)).not.toContain(id)
    expect(h.fail('private/get_positions', {}, id)).toMatchObject({ code: 13009 })
  })

  it('details list each subaccount with its positions and, on request, its open orders', () => {
    const h = tree()
    const { bid } = h.top(BTC)
    h.call('private/buy', { instrument_name: BTC, amount: 10, type: 'market' }, SUB)
    h.call('private/buy', { instrument_name: BTC, amount: 10, price: bid - 500 }, SIBLING)
    const details = h.call<Json[]>('private/get_subaccounts_details', { currency: 'BTC', with_open_orders: true }, MAIN)
    expect(details.map((d) => d.uid)).toEqual([SUB, SIBLING])
    expect(details[0]?.positions).toEqual([expect.objectContaining({ instrument_name: BTC, size: 10 })])
    expect(details[1]?.open_orders).toEqual([expect.objectContaining({ instrument_name: BTC, order_state: 'open' })])
  })
})

describe('subaccounts over the server', () => {
  it('a subaccount made by create_subaccount is reachable by exchange_token, and gone after remove_subaccount', async () => {
    await using sim = await startSimulator({ marketRateHz: 0, rateLimits: false })
    const { clientId, clientSecret, mainAccountId } = sim.createAccount()
    const c = await BareClient.connect(sim.url)
    try {
      const auth = (await c.result('public/auth', {
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: clientSecret,
      })) as Json
      const created = (await c.result('private/create_subaccount', {})) as Json
      const x = (await c.result('public/exchange_token', {
        refresh_token: auth.refresh_token,
        subject_id: created.id,
      })) as Json
      expect(typeof x.access_token).toBe('string')
      await c.result('private/submit_transfer_to_subaccount', { currency: 'BTC', amount: 1, destination: created.id })
      await c.result('private/submit_transfer_to_subaccount', {
        access_token: x.access_token,
        currency: 'BTC',
        amount: 1,
        destination: mainAccountId,
      })
      expect(await c.result('private/remove_subaccount', { subaccount_id: created.id })).toBe('ok')
      const again = await c.call('public/exchange_token', { refresh_token: auth.refresh_token, subject_id: created.id })
      expect(again.error).toMatchObject({ code: 13021 })
    } finally {
      await c.close()
    }
  })
})
