/**
 * Each account's address books, one per currency and type: `withdrawal` addresses are the only
 * ones `private/withdraw` sends to, `transfer` addresses the only destinations of
 * `private/submit_transfer_to_user`, and `deposit_source` addresses are the outside wallets the
 * account declared it deposits from (their deposits clear without asking for an originator).
 * Every entry carries the travel-rule facts about its beneficiary. The simulator sends no
 * confirmation emails, so an entry is `ready` as soon as it is added.
 */
import { invalidParams } from '../contract.js'

/** Deribit's address book types. */
export const ADDRESS_BOOK_TYPES = ['transfer', 'withdrawal', 'deposit_source'] as const

/** One address book type. */
export type AddressBookType = (typeof ADDRESS_BOOK_TYPES)[number]

/** Who an address belongs to, as the travel rule asks (Deribit's `beneficiary_*` fields). */
export interface Beneficiary {
  vaspName: string
  vaspDid: string
  vaspWebsite: string | undefined
  firstName: string | undefined
  lastName: string | undefined
  companyName: string | undefined
  address: string
}

/** One address book entry. */
export interface AddressBookEntry {
  readonly accountId: number
  readonly currency: string
  readonly type: AddressBookType
  readonly address: string
  readonly createdMs: number
  label: string
  beneficiary: Beneficiary
  agreed: boolean
  personal: boolean
}

/** What an add or an update says about an entry. */
export interface EntryFacts {
  label: string
  beneficiary: Beneficiary
  agreed: boolean
  personal: boolean
}

/** Most entries one account keeps per currency and type, as a careful exchange caps a whitelist. */
export const MAX_ENTRIES = 100

const key = (accountId: number, currency: string, type: AddressBookType, address: string) =>
  `${accountId}/${currency}/${type}/${address}`

/**
 * Checks the beneficiary facts every entry and every saved beneficiary must carry: the holder's
 * consent to share them, and a beneficiary that is either a person (first and last name) or a
 * company.
 */
export function checkBeneficiary(b: Beneficiary, agreed: boolean): void {
  if (!agreed) throw invalidParams('agreed', 'beneficiary information may only be stored with consent to share it')
  const person = b.firstName !== undefined && b.lastName !== undefined
  if (!person && b.companyName === undefined)
    throw invalidParams('beneficiary_first_name', 'name a person (first and last name) or a company')
}

/** Whether `address` reads as a wallet address: 1 to 128 printable characters, no spaces. */
export function checkAddress(address: string, param = 'address'): void {
  if (!/^[\x21-\x7e]{1,128}$/.test(address)) throw invalidParams(param, 'invalid address')
}

/** Every account's address books. */
export class AddressBook {
  private readonly entries = new Map<string, AddressBookEntry>()

  constructor(private readonly now: () => number) {}

  /** Adds `address` to the account's `type` book of each of `currencies`; refuses one already there. */
  add(
    accountId: number,
    currencies: readonly string[],
    type: AddressBookType,
    address: string,
    facts: EntryFacts,
  ): AddressBookEntry[] {
    checkAddress(address)
    checkBeneficiary(facts.beneficiary, facts.agreed)
    for (const currency of currencies) {
      if (this.entries.has(key(accountId, currency, type, address)))
        throw invalidParams('address', `already in the ${currency} ${type} address book`)
      if (this.list(accountId, currency, type).length >= MAX_ENTRIES)
        throw invalidParams('address', `the ${currency} ${type} address book is full`)
    }
    const createdMs = this.now()
    return currencies.map((currency) => {
      const entry: AddressBookEntry = { accountId, currency, type, address, createdMs, ...facts }
      this.entries.set(key(accountId, currency, type, address), entry)
      return entry
    })
  }

  /** Replaces the label and beneficiary facts of an entry. */
  update(accountId: number, currency: string, type: AddressBookType, address: string, facts: EntryFacts): void {
    const entry = this.required(accountId, currency, type, address)
    checkBeneficiary(facts.beneficiary, facts.agreed)
    Object.assign(entry, facts)
  }

  /** Removes an entry. */
  remove(accountId: number, currency: string, type: AddressBookType, address: string): void {
    this.required(accountId, currency, type, address)
    this.entries.delete(key(accountId, currency, type, address))
  }

  /** The entry, if the account's book holds it. */
  find(accountId: number, currency: string, type: AddressBookType, address: string): AddressBookEntry | undefined {
    return this.entries.get(key(accountId, currency, type, address))
  }

  /** The account's `type` book of `currency`, oldest first. */
  list(accountId: number, currency: string, type: AddressBookType): AddressBookEntry[] {
    return [...this.entries.values()].filter(
      (e) => e.accountId === accountId && e.currency === currency && e.type === type,
    )
  }

  private required(accountId: number, currency: string, type: AddressBookType, address: string): AddressBookEntry {
    const entry = this.find(accountId, currency, type, address)
    if (entry === undefined) throw invalidParams('address', `not in the ${currency} ${type} address book`)
    return entry
  }
}
