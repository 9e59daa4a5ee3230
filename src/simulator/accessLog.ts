/**
 * Each account's access log: every authentication with one of its keys, successful or not,
 * as `private/get_access_log` pages it and `user.access_log` announces it. Connections come
 * from loopback, so the place fields say so rather than inventing a country.
 */
import { invalidParams } from './contract.js'
import type { ServerDeps, ServerMethod } from './serverMethod.js'

/** One access-log entry, in Deribit's shape. */
export interface AccessEntry {
  readonly id: number
  readonly timestamp: number
  readonly ip: string
  readonly country: string
  readonly city: string
  readonly log: 'success' | 'failure'
  readonly data: Record<string, unknown>
}

/** Most entries an account keeps. */
const KEPT = 1000

export class AccessLog {
  readonly #byAccount = new Map<number, AccessEntry[]>()
  #nextId = 1

  constructor(
    private readonly nowMs: () => number,
    private readonly announce: (accountId: number, entry: AccessEntry) => void,
  ) {}

  /** Records an authentication attempt of an account and announces it on `user.access_log`. */
  record(accountId: number, log: AccessEntry['log'], data: Record<string, unknown>): void {
    const entry: AccessEntry = {
      id: this.#nextId++,
      timestamp: this.nowMs(),
      ip: '127.0.0.1',
      country: 'loopback',
      city: 'loopback',
      log,
      data,
    }
    let list = this.#byAccount.get(accountId)
    if (list === undefined) {
      list = []
      this.#byAccount.set(accountId, list)
    }
    list.push(entry)
    if (list.length > KEPT * 2) list.splice(0, list.length - KEPT)
    this.announce(accountId, entry)
  }

  /** Newest first. */
  page(accountId: number, offset: number, count: number): AccessEntry[] {
    return [...(this.#byAccount.get(accountId) ?? [])].reverse().slice(offset, offset + count)
  }
}

/** `private/get_access_log` (`offset` default 0, `count` default 10, at most 1000). */
export function accessLogMethods(deps: ServerDeps): Record<string, ServerMethod> {
  return {
    'private/get_access_log': {
      access: 'private',
      wsOnly: false,
      run(call) {
        const offset = call.params.offset ?? 0
        const count = call.params.count ?? 10
        if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0)
          throw invalidParams('offset', 'must be a non-negative integer')
        if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > 1000)
          throw invalidParams('count', 'must be an integer between 1 and 1000')
        return deps.accessLog.page(call.auth?.accountId ?? -1, offset, count)
      },
    },
  }
}
