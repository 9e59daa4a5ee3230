/**
 * Wallet methods over the simulated {@link Wallet}: transfers (`submit_transfer_to_subaccount`,
 * `submit_transfer_between_subaccounts`, `submit_transfer_to_user`, `get_transfers`,
 * `cancel_transfer_by_id`), deposit addresses, `get_deposits`, `withdraw`, `cancel_withdrawal`,
 * `get_withdrawals`, `set_clearance_originator`, and `get_reward_eligibility` (the simulator pays
 * no rewards). Withdrawals and transfers to users go only to addresses of the caller's address book.
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams } from '../../contract.js'
import { reachableAccount, requiredAccountId, requireMain, sameTree } from '../accountTree.js'
import { callerAccount, currencyParam, type ExchangeCore } from '../exchangeCore.js'
import type { Account } from '../ledger.js'
import { round8 } from '../numbers.js'
import { optionalEnum, optionalNumber, optionalString, type Params, requiredString } from '../params.js'
import {
  type DepositRecord,
  type Originator,
  PRIORITIES,
  type TransferRecord,
  type WithdrawalRecord,
} from '../wallet.js'

/** Most items one page of `get_transfers` / `get_deposits` / `get_withdrawals` returns. */
const MAX_PAGE = 1000

function amountParam(params: Params): number {
  const amount = optionalNumber(params, 'amount')
  if (amount === undefined) throw invalidParams('amount', 'value required')
  if (!(amount > 0)) throw invalidParams('amount', 'must be positive')
  return round8(amount)
}

/** `{count, data}` pages, newest first, with Deribit's `count` (default 10) and `offset`. */
function page<T>(params: Params, items: readonly T[]): { count: number; data: T[] } {
  const count = optionalNumber(params, 'count') ?? 10
  const offset = optionalNumber(params, 'offset') ?? 0
  if (!Number.isInteger(count) || count < 1 || count > MAX_PAGE)
    throw invalidParams('count', `must be an integer between 1 and ${MAX_PAGE}`)
  if (!Number.isInteger(offset) || offset < 0) throw invalidParams('offset', 'must be a non-negative integer')
  return { count: items.length, data: [...items].reverse().slice(offset, offset + count) }
}

function usernameOf(core: ExchangeCore, id: number): string {
  return core.ledger.find(id)?.settings.username ?? String(id)
}

/** A transfer as the account `viewer` sees it (`payment` when it sent it, `income` when it received it). */
function transferWire(core: ExchangeCore, t: TransferRecord, viewer: number): Record<string, unknown> {
  const outgoing = t.from === viewer
  const wire: Record<string, unknown> = {
    id: t.id,
    created_timestamp: t.createdMs,
    updated_timestamp: t.updatedMs,
    type: t.type,
    currency: t.currency,
    amount: t.amount,
    other_side: usernameOf(core, outgoing ? t.to : t.from),
    state: t.state,
    direction: outgoing ? 'payment' : 'income',
  }
  if (t.nonce !== undefined) wire.nonce = t.nonce
  return wire
}

function withdrawalWire(w: WithdrawalRecord): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    id: w.id,
    currency: w.currency,
    address: w.address,
    amount: w.amount,
    fee: w.fee,
    priority: w.priority,
    state: w.state,
    transaction_id: w.transactionId,
    created_timestamp: w.createdMs,
    updated_timestamp: w.updatedMs,
    confirmed_timestamp: w.confirmedMs,
  }
  if (w.nonce !== undefined) wire.nonce = w.nonce
  return wire
}

/**
 * The destination of `submit_transfer_to_user`: an address of the caller's `transfer` address book
 * that is another simulated user's deposit address.
 */
function userDestination(core: ExchangeCore, caller: Account, currency: string, destination: string): Account {
  if (core.addressBook.find(caller.id, currency, 'transfer', destination) === undefined)
    throw invalidParams('destination', `not in the ${currency} transfer address book`)
  const owner = core.wallet.addresses.owner(destination)
  const account = owner === undefined ? undefined : core.ledger.find(owner.accountId)
  if (account === undefined) throw invalidParams('destination', 'not a deposit address of a simulated user')
  if (sameTree(account, caller))
    throw invalidParams('destination', 'use submit_transfer_to_subaccount within your own accounts')
  return account
}

function depositWire(d: DepositRecord): Record<string, unknown> {
  return {
    currency: d.currency,
    address: d.address,
    amount: d.amount,
    state: d.state,
    clearance_state: d.clearance,
    transaction_id: d.transactionId,
    source_address: d.sourceAddress,
    received_timestamp: d.receivedMs,
    updated_timestamp: d.updatedMs,
    note: '',
  }
}

/** A param Deribit documents as a JSON object, which GET carries as its JSON text. */
function jsonObject(params: Params, name: string): Record<string, unknown> {
  let value = params[name]
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value)
    } catch {
      throw invalidParams(name, 'must be a JSON object')
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalidParams(name, 'must be an object')
  return value as Record<string, unknown>
}

/** `deposit_id`: `{currency, user_id, address, tx_hash}`. */
function depositId(params: Params) {
  const v = jsonObject(params, 'deposit_id')
  const { currency, user_id, address, tx_hash } = v
  if (typeof currency !== 'string' || typeof address !== 'string' || typeof tx_hash !== 'string')
    throw invalidParams('deposit_id', 'currency, address and tx_hash must be strings')
  if (typeof user_id !== 'number') throw invalidParams('deposit_id', 'user_id must be a number')
  return { currency, user_id, address, tx_hash }
}

/** `originator`: `{is_personal, first_name, last_name, company_name, address}`: a person or a company, and where. */
function originatorParam(params: Params): Originator {
  const v = jsonObject(params, 'originator')
  const text = (key: string) => (typeof v[key] === 'string' && v[key] !== '' ? (v[key] as string) : undefined)
  if (typeof v.is_personal !== 'boolean') throw invalidParams('originator', 'is_personal must be a boolean')
  const address = text('address')
  if (address === undefined) throw invalidParams('originator', 'address required')
  const firstName = text('first_name')
  const lastName = text('last_name')
  const companyName = text('company_name')
  if ((firstName === undefined || lastName === undefined) && companyName === undefined)
    throw invalidParams('originator', 'name a person (first_name and last_name) or a company (company_name)')
  return { isPersonal: v.is_personal, firstName, lastName, companyName, address }
}

/** Handlers for the wallet. */
export function walletMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { ledger, wallet } = core
  return {
    'private/submit_transfer_to_subaccount': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const amount = amountParam(params)
      const destination = ledger.find(requiredAccountId(params, 'destination'))
      if (destination === undefined || destination === caller || !sameTree(destination, caller))
        throw invalidParams('destination', 'not another account of this main account')
      const t = wallet.transfer(caller, destination, currency, amount, 'subaccount', undefined)
      return transferWire(core, t, caller.id)
    },
    'private/submit_transfer_between_subaccounts': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const amount = amountParam(params)
      const sourceId = optionalNumber(params, 'source')
      const source = sourceId === undefined ? caller : reachableAccount(ledger, caller, sourceId, 'source')
      const destination = ledger.find(requiredAccountId(params, 'destination'))
      if (destination === undefined || destination === source || !sameTree(destination, source))
        throw invalidParams('destination', 'not another account of this main account')
      const nonce = optionalString(params, 'nonce')
      const t = wallet.transfer(source, destination, currency, amount, 'subaccount', nonce)
      return transferWire(core, t, source.id)
    },
    'private/submit_transfer_to_user': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      // Money leaves the tree only from the main account (Deribit's `mainaccount` scope).
      requireMain(caller)
      const currency = currencyParam(params, false)
      const amount = amountParam(params)
      const destination = userDestination(core, caller, currency, requiredString(params, 'destination'))
      return transferWire(core, wallet.transfer(caller, destination, currency, amount, 'user', undefined), caller.id)
    },
    'private/get_transfers': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      // The receiving side sees a transfer only once the money has arrived.
      const mine = wallet.transfers.filter(
        (t) => t.currency === currency && (t.from === caller.id || (t.to === caller.id && t.state === 'confirmed')),
      )
      const result = page(params, mine)
      return { count: result.count, data: result.data.map((t) => transferWire(core, t, caller.id)) }
    },
    'private/cancel_transfer_by_id': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const id = requiredAccountId(params, 'id')
      const t = wallet.transfers.find((x) => x.id === id && x.from === caller.id && x.currency === currency)
      if (t === undefined) throw invalidParams('id', 'transfer not found')
      wallet.cancelTransfer(t)
      return transferWire(core, t, caller.id)
    },
    'private/create_deposit_address': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const a = wallet.addresses.create(caller, currencyParam(params, false))
      return { address: a.address, currency: a.currency, creation_timestamp: a.createdMs, type: 'deposit' }
    },
    'private/get_current_deposit_address': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const a = wallet.addresses.current(caller, currencyParam(params, false))
      return a === undefined
        ? null
        : { address: a.address, currency: a.currency, creation_timestamp: a.createdMs, type: 'deposit' }
    },
    'private/get_deposits': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const result = page(
        params,
        wallet.deposits.filter((d) => d.accountId === caller.id && d.currency === currency),
      )
      return {
        count: result.count,
        data: result.data.map(depositWire),
      }
    },
    'private/set_clearance_originator': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const id = depositId(params)
      const d = wallet.deposits.find(
        (x) =>
          x.accountId === caller.id &&
          id.user_id === caller.id &&
          x.currency === id.currency &&
          x.address === id.address &&
          x.transactionId === id.tx_hash,
      )
      if (d === undefined) throw invalidParams('deposit_id', 'deposit not found')
      wallet.clearDeposit(d, originatorParam(params))
      return depositWire(d)
    },
    'private/withdraw': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      requireMain(caller)
      const currency = currencyParam(params, false)
      const address = requiredString(params, 'address')
      if (core.addressBook.find(caller.id, currency, 'withdrawal', address) === undefined)
        throw invalidParams('address', `not in the ${currency} withdrawal address book`)
      const amount = amountParam(params)
      const priority = optionalEnum(params, 'priority', Object.keys(PRIORITIES)) ?? 'high'
      const nonce = optionalString(params, 'nonce')
      const w = wallet.withdraw(caller, currency, address, amount, PRIORITIES[priority] as number, nonce)
      return withdrawalWire(w)
    },
    'private/cancel_withdrawal': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const id = requiredAccountId(params, 'id')
      const w = wallet.withdrawals.find((x) => x.id === id && x.accountId === caller.id && x.currency === currency)
      if (w === undefined) throw invalidParams('id', 'withdrawal not found')
      wallet.cancelWithdrawal(w)
      return withdrawalWire(w)
    },
    'private/get_withdrawals': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const result = page(
        params,
        wallet.withdrawals.filter((w) => w.accountId === caller.id && w.currency === currency),
      )
      return { count: result.count, data: result.data.map(withdrawalWire) }
    },
    'private/get_reward_eligibility': (_params, ctx) => {
      callerAccount(core, ctx)
      // The simulator pays no yield on balances, so no account is ever eligible.
      return { eligibility_status: 'non_eligible', apr_sma7: 0 }
    },
  }
}
