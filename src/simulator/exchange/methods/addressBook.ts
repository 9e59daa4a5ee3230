/**
 * Address books and travel-rule beneficiaries: `private/get_address_book`,
 * `private/add_to_address_book`, `private/update_in_address_book`,
 * `private/remove_from_address_book`, and `private/save_address_beneficiary`,
 * `private/get_address_beneficiary`, `private/delete_address_beneficiary`,
 * `private/list_address_beneficiaries` over the exchange's address books and beneficiary records.
 */
import type { MethodHandler } from '../../contract.js'
import { invalidParams } from '../../contract.js'
import type { AddressBeneficiaries, BeneficiaryRecord } from '../addressBeneficiaries.js'
import { ADDRESS_BOOK_TYPES, type AddressBookEntry, type Beneficiary, type EntryFacts } from '../addressBook.js'
import { callerAccount, currencyParam, type ExchangeCore } from '../exchangeCore.js'
import { CURRENCIES } from '../instruments.js'
import {
  optionalBoolean,
  optionalInteger,
  optionalNumber,
  optionalString,
  type Params,
  requiredEnum,
  requiredString,
} from '../params.js'

/** The simulated currencies that are ERC-20 tokens: one address serves all of them. */
const ERC20 = new Set(['USDC'])
/** Default and largest page of `list_address_beneficiaries`. */
const DEFAULT_LIMIT = 100
const MAX_LIMIT = 1000

function nonEmpty(params: Params, name: string): string | undefined {
  const value = optionalString(params, name)
  return value === undefined || value === '' ? undefined : value
}

function requiredBoolean(params: Params, name: string): boolean {
  const value = optionalBoolean(params, name)
  if (value === undefined) throw invalidParams(name, 'value required')
  return value
}

function beneficiaryParams(params: Params): Beneficiary {
  return {
    vaspName: requiredString(params, 'beneficiary_vasp_name'),
    vaspDid: requiredString(params, 'beneficiary_vasp_did'),
    vaspWebsite: nonEmpty(params, 'beneficiary_vasp_website'),
    firstName: nonEmpty(params, 'beneficiary_first_name'),
    lastName: nonEmpty(params, 'beneficiary_last_name'),
    companyName: nonEmpty(params, 'beneficiary_company_name'),
    address: requiredString(params, 'beneficiary_address'),
  }
}

function entryFacts(params: Params): EntryFacts {
  return {
    label: requiredString(params, 'label'),
    beneficiary: beneficiaryParams(params),
    agreed: requiredBoolean(params, 'agreed'),
    personal: requiredBoolean(params, 'personal'),
  }
}

function beneficiaryWire(b: Beneficiary): Record<string, unknown> {
  const wire: Record<string, unknown> = {
    beneficiary_vasp_name: b.vaspName,
    beneficiary_vasp_did: b.vaspDid,
    beneficiary_address: b.address,
  }
  if (b.vaspWebsite !== undefined) wire.beneficiary_vasp_website = b.vaspWebsite
  if (b.firstName !== undefined) wire.beneficiary_first_name = b.firstName
  if (b.lastName !== undefined) wire.beneficiary_last_name = b.lastName
  if (b.companyName !== undefined) wire.beneficiary_company_name = b.companyName
  return wire
}

function entryWire(e: AddressBookEntry): Record<string, unknown> {
  return {
    currency: e.currency,
    address: e.address,
    type: e.type,
    label: e.label,
    creation_timestamp: e.createdMs,
    ...beneficiaryWire(e.beneficiary),
    agreed: e.agreed,
    personal: e.personal,
    // Every entry carries its beneficiary, and the simulator sends no confirmation emails.
    info_required: false,
    status: 'ready',
    requires_confirmation: false,
    requires_confirmation_change: false,
  }
}

function recordWire(r: BeneficiaryRecord): Record<string, unknown> {
  return {
    currency: r.currency,
    address: r.address,
    tag: r.tag ?? null,
    user_id: r.accountId,
    agreed: r.agreed,
    personal: r.personal,
    unhosted: r.unhosted,
    ...beneficiaryWire(r.beneficiary),
    created: r.createdMs,
    updated: r.updatedMs,
  }
}

/** The currencies an add covers: `currency`, plus `extra_currencies` for an ERC-20 address. */
function addCurrencies(params: Params, currency: string): string[] {
  const extra = params.extra_currencies
  if (extra === undefined || extra === null) return [currency]
  if (!Array.isArray(extra)) throw invalidParams('extra_currencies', 'value must be a list')
  if (extra.length > 0 && !ERC20.has(currency)) throw invalidParams('extra_currencies', 'only for ERC-20 currencies')
  const all = new Set([currency])
  for (const c of extra) {
    if (typeof c !== 'string' || !(CURRENCIES as readonly string[]).includes(c) || !ERC20.has(c))
      throw invalidParams('extra_currencies', 'only simulated ERC-20 currencies')
    all.add(c)
  }
  return [...all]
}

function timestamp(params: Params, name: string): number | undefined {
  const value = optionalNumber(params, name)
  if (value !== undefined && !Number.isInteger(value)) throw invalidParams(name, 'must be an integer')
  return value
}

function list(beneficiaries: AddressBeneficiaries, accountId: number, params: Params) {
  const filter = {
    currency: params.currency === undefined ? undefined : currencyParam(params, false),
    address: optionalString(params, 'address'),
    tag: optionalString(params, 'tag'),
    createdBefore: timestamp(params, 'created_before'),
    createdAfter: timestamp(params, 'created_after'),
    updatedBefore: timestamp(params, 'updated_before'),
    updatedAfter: timestamp(params, 'updated_after'),
    personal: optionalBoolean(params, 'personal'),
    unhosted: optionalBoolean(params, 'unhosted'),
    vaspName: optionalString(params, 'beneficiary_vasp_name'),
    vaspDid: optionalString(params, 'beneficiary_vasp_did'),
    vaspWebsite: optionalString(params, 'beneficiary_vasp_website'),
  }
  const defined = Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined))
  const all = beneficiaries.list(accountId, defined)
  const limit = optionalInteger(params, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT
  const token = optionalString(params, 'continuation')
  // The continuation is the id of the last record of the previous page: pages stay stable while records are added.
  const after = token === undefined ? 0 : Number(token)
  if (!Number.isInteger(after) || after < 0) throw invalidParams('continuation', 'invalid continuation')
  const rest = all.filter((r) => r.id > after)
  const page = rest.slice(0, limit)
  const result: Record<string, unknown> = { data: page.map(recordWire), count: all.length }
  const last = page.at(-1)
  if (rest.length > limit && last !== undefined) result.continuation = String(last.id)
  return result
}

/** Handlers for address books and beneficiaries. */
export function addressBookMethods(core: ExchangeCore): Record<string, MethodHandler> {
  const { addressBook: book, beneficiaries } = core
  const type = (params: Params) => requiredEnum(params, 'type', ADDRESS_BOOK_TYPES)
  return {
    'private/get_address_book': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      return book.list(caller.id, currencyParam(params, false), type(params)).map(entryWire)
    },
    'private/add_to_address_book': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const currencies = addCurrencies(params, currency)
      const added = book.add(caller.id, currencies, type(params), requiredString(params, 'address'), entryFacts(params))
      return entryWire(added[0] as AddressBookEntry)
    },
    'private/update_in_address_book': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      book.update(caller.id, currency, type(params), requiredString(params, 'address'), entryFacts(params))
      return 'ok'
    },
    'private/remove_from_address_book': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      book.remove(caller.id, currencyParam(params, false), type(params), requiredString(params, 'address'))
      return 'ok'
    },
    'private/save_address_beneficiary': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const record = beneficiaries.save(
        caller.id,
        currency,
        requiredString(params, 'address'),
        nonEmpty(params, 'tag'),
        {
          agreed: requiredBoolean(params, 'agreed'),
          personal: requiredBoolean(params, 'personal'),
          unhosted: requiredBoolean(params, 'unhosted'),
          beneficiary: beneficiaryParams(params),
        },
      )
      return recordWire(record)
    },
    'private/get_address_beneficiary': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      const record = beneficiaries.find(caller.id, currency, requiredString(params, 'address'), nonEmpty(params, 'tag'))
      if (record === undefined) throw invalidParams('address', 'no beneficiary saved for this address')
      return recordWire(record)
    },
    'private/delete_address_beneficiary': (params, ctx) => {
      const caller = callerAccount(core, ctx)
      const currency = currencyParam(params, false)
      if (!beneficiaries.delete(caller.id, currency, requiredString(params, 'address'), nonEmpty(params, 'tag')))
        throw invalidParams('address', 'no beneficiary saved for this address')
      return 'ok'
    },
    'private/list_address_beneficiaries': (params, ctx) => list(beneficiaries, callerAccount(core, ctx).id, params),
  }
}
