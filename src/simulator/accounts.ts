import { randomBytes } from 'node:crypto'

/** An API key: what `client_credentials` / `client_signature` authenticate with. */
export interface ApiKey {
  readonly clientId: string
  /** Replaced by `private/reset_api_key`. */
  clientSecret: string
  /** The (sub)account the key belongs to. */
  readonly accountId: number
  /** The key's number within its account (`id` of the api-key methods). */
  readonly id: number
  readonly createdMs: number
  name: string
  /** Scope tokens the key may grant, e.g. `account:read_write`. */
  maxScope: string[]
  /** A disabled key authenticates nothing. */
  enabled: boolean
  /** The account's first key; it cannot be removed. */
  readonly isDefault: boolean
  features: string[]
  ipWhitelist: string[]
}

/**
 * The full scope of the key `sim.createAccount()` makes: every functional area at `read_write`,
 * as a real key with all permissions grants (block trades and RFQs included, so their methods
 * answer as not simulated rather than as forbidden).
 */
export const FULL_SCOPE = [
  'account:read_write',
  'block_rfq:read_write',
  'block_trade:read_write',
  'custody:read_write',
  'trade:read_write',
  'wallet:read_write',
]

/** A (sub)account. Subaccounts point at their main account. */
export interface Account {
  readonly id: number
  /** The main account's id (its own id for a main account). */
  readonly mainAccountId: number
}

/** What `sim.createAccount()` returns: the main account's API key and the account tree. */
export interface CreatedAccount {
  /** Client id of the API key (on the main account). */
  clientId: string
  /** Client secret of the API key. */
  clientSecret: string
  /** Id of the main account (the `subject_id` of its own sessions). */
  mainAccountId: number
  /** Ids of its subaccounts, for `public/exchange_token`'s `subject_id`. */
  subaccountIds: number[]
}

/** First account id handed out; ids then count up. */
export const FIRST_ACCOUNT_ID = 100_001

/** Accounts, their subaccounts and API keys. */
export class AccountBook {
  readonly #accounts = new Map<number, Account>()
  readonly #keys = new Map<string, ApiKey>()
  #nextId = FIRST_ACCOUNT_ID

  constructor(private readonly nowMs: () => number = Date.now) {}

  /** Creates a main account with `subaccounts` subaccounts and one API key on the main account. */
  createAccount(subaccounts: number, onOpen: (accountId: number, mainAccountId: number) => void): CreatedAccount {
    const mainAccountId = this.#nextId++
    this.#accounts.set(mainAccountId, { id: mainAccountId, mainAccountId })
    onOpen(mainAccountId, mainAccountId)
    const subaccountIds: number[] = []
    for (let i = 0; i < subaccounts; i++) {
      const id = this.addSubaccount(mainAccountId)
      subaccountIds.push(id)
      onOpen(id, mainAccountId)
    }
    const key = this.addKey(mainAccountId, 'default', FULL_SCOPE)
    return { clientId: key.clientId, clientSecret: key.clientSecret, mainAccountId, subaccountIds }
  }

  /** Registers one more subaccount of a main account; returns its id. */
  addSubaccount(mainAccountId: number): number {
    const id = this.#nextId++
    this.#accounts.set(id, { id, mainAccountId })
    return id
  }

  /** Forgets a subaccount: `exchange_token` can no longer reach it. */
  removeSubaccount(id: number): void {
    const account = this.#accounts.get(id)
    if (account !== undefined && account.mainAccountId !== id) this.#accounts.delete(id)
  }

  /** Makes a new API key for an account; the account's first key is its default key. */
  addKey(accountId: number, name: string, maxScope: string[]): ApiKey {
    const mine = this.keysOf(accountId)
    const key: ApiKey = {
      clientId: randomBytes(6).toString('base64url'),
      clientSecret: randomBytes(24).toString('base64url'),
      accountId,
      id: mine.reduce((max, k) => Math.max(max, k.id), 0) + 1,
      createdMs: this.nowMs(),
      name,
      maxScope,
      enabled: true,
      isDefault: mine.length === 0,
      features: [],
      ipWhitelist: [],
    }
    this.#keys.set(key.clientId, key)
    return key
  }

  /** An account's keys, enabled or not, in creation order. */
  keysOf(accountId: number): ApiKey[] {
    return [...this.#keys.values()].filter((k) => k.accountId === accountId)
  }

  /** Gives a key a new secret: the old one authenticates nothing any more. */
  resetSecret(key: ApiKey): void {
    key.clientSecret = randomBytes(24).toString('base64url')
  }

  /** Deletes a key: it authenticates nothing any more. */
  removeKey(key: ApiKey): void {
    this.#keys.delete(key.clientId)
  }

  /** The enabled key with this client id (a disabled or removed key authenticates nothing). */
  key(clientId: string): ApiKey | undefined {
    const key = this.#keys.get(clientId)
    return key?.enabled === true ? key : undefined
  }

  account(id: number): Account | undefined {
    return this.#accounts.get(id)
  }

  isMain(id: number): boolean {
    return this.#accounts.get(id)?.mainAccountId === id
  }

  /** True when `subjectId` is `accountId`'s main account or one of that main account's subaccounts. */
  sameTree(accountId: number, subjectId: number): boolean {
    const a = this.#accounts.get(accountId)
    const b = this.#accounts.get(subjectId)
    return a !== undefined && b !== undefined && a.mainAccountId === b.mainAccountId
  }
}
