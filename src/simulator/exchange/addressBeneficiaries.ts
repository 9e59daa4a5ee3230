/**
 * Travel-rule beneficiary records of addresses (`private/save_address_beneficiary` and its
 * siblings): per account, one record per currency, address and tag (the destination tag of XRP
 * style addresses; none for the simulator's coins). Saving again updates the record in place.
 */
import { type Beneficiary, checkAddress, checkBeneficiary } from './addressBook.js'

/** One saved beneficiary record. */
export interface BeneficiaryRecord {
  readonly id: number
  readonly accountId: number
  readonly currency: string
  readonly address: string
  readonly tag: string | undefined
  readonly createdMs: number
  updatedMs: number
  agreed: boolean
  personal: boolean
  unhosted: boolean
  beneficiary: Beneficiary
}

/** What a save says about an address. */
export interface BeneficiaryFacts {
  agreed: boolean
  personal: boolean
  unhosted: boolean
  beneficiary: Beneficiary
}

/** Filters of `private/list_address_beneficiaries`; each one given must match. */
export interface BeneficiaryFilter {
  currency?: string
  address?: string
  tag?: string
  createdBefore?: number
  createdAfter?: number
  updatedBefore?: number
  updatedAfter?: number
  personal?: boolean
  unhosted?: boolean
  vaspName?: string
  vaspDid?: string
  vaspWebsite?: string
}

const key = (accountId: number, currency: string, address: string, tag: string | undefined) =>
  `${accountId}/${currency}/${address}/${tag ?? ''}`

function matches(r: BeneficiaryRecord, f: BeneficiaryFilter): boolean {
  return (
    (f.currency === undefined || r.currency === f.currency) &&
    (f.address === undefined || r.address === f.address) &&
    (f.tag === undefined || r.tag === f.tag) &&
    (f.createdBefore === undefined || r.createdMs < f.createdBefore) &&
    (f.createdAfter === undefined || r.createdMs > f.createdAfter) &&
    (f.updatedBefore === undefined || r.updatedMs < f.updatedBefore) &&
    (f.updatedAfter === undefined || r.updatedMs > f.updatedAfter) &&
    (f.personal === undefined || r.personal === f.personal) &&
    (f.unhosted === undefined || r.unhosted === f.unhosted) &&
    (f.vaspName === undefined || r.beneficiary.vaspName === f.vaspName) &&
    (f.vaspDid === undefined || r.beneficiary.vaspDid === f.vaspDid) &&
    (f.vaspWebsite === undefined || r.beneficiary.vaspWebsite === f.vaspWebsite)
  )
}

/** Every account's saved beneficiaries. */
export class AddressBeneficiaries {
  private readonly records = new Map<string, BeneficiaryRecord>()
  private nextId = 1

  constructor(private readonly now: () => number) {}

  /** Saves (or replaces) what the account says about an address. */
  save(
    accountId: number,
    currency: string,
    address: string,
    tag: string | undefined,
    facts: BeneficiaryFacts,
  ): BeneficiaryRecord {
    checkAddress(address)
    checkBeneficiary(facts.beneficiary, facts.agreed)
    const now = this.now()
    const existing = this.records.get(key(accountId, currency, address, tag))
    if (existing !== undefined) {
      Object.assign(existing, facts, { updatedMs: now })
      return existing
    }
    const record: BeneficiaryRecord = {
      id: this.nextId++,
      accountId,
      currency,
      address,
      tag,
      createdMs: now,
      updatedMs: now,
      ...facts,
    }
    this.records.set(key(accountId, currency, address, tag), record)
    return record
  }

  /** The record of an address, if the account saved one. */
  find(accountId: number, currency: string, address: string, tag: string | undefined): BeneficiaryRecord | undefined {
    return this.records.get(key(accountId, currency, address, tag))
  }

  /** Deletes a record; false when there was none. */
  delete(accountId: number, currency: string, address: string, tag: string | undefined): boolean {
    return this.records.delete(key(accountId, currency, address, tag))
  }

  /** The account's records matching `filter`, oldest first. */
  list(accountId: number, filter: BeneficiaryFilter): BeneficiaryRecord[] {
    return [...this.records.values()].filter((r) => r.accountId === accountId && matches(r, filter))
  }
}
