/**
 * Who may read or act on which account: a main account reaches its subaccounts (the
 * `subaccount_id` of reads, the `sid` of subaccount management, the ends of a transfer);
 * a subaccount reaches only itself. Every refusal is `-32602` naming the param.
 */
import { invalidParams, SimRpcError } from '../contract.js'
import type { Account, Ledger } from './ledger.js'
import { optionalNumber, type Params } from './params.js'

/** A param that must be an integer account id, if present. */
export function optionalAccountId(params: Params, name: string): number | undefined {
  const value = optionalNumber(params, name)
  if (value !== undefined && !Number.isInteger(value)) throw invalidParams(name, 'must be an integer')
  return value
}

/** A required integer account id. */
export function requiredAccountId(params: Params, name: string): number {
  const value = optionalAccountId(params, name)
  if (value === undefined) throw invalidParams(name, 'value required')
  return value
}

/** The account of `id` when it is `caller` itself or one of the caller's subaccounts. */
export function reachableAccount(ledger: Ledger, caller: Account, id: number, param: string): Account {
  if (id === caller.id) return caller
  const target = ledger.find(id)
  if (target === undefined || caller.type !== 'main' || target.mainAccountId !== caller.id)
    throw invalidParams(param, 'not this account or one of its subaccounts')
  return target
}

/** The account a read is about: the caller, or the subaccount its main account named in `subaccount_id`. */
export function readAccount(ledger: Ledger, caller: Account, params: Params): Account {
  const id = optionalAccountId(params, 'subaccount_id')
  return id === undefined ? caller : reachableAccount(ledger, caller, id, 'subaccount_id')
}

/** One of the caller's subaccounts (never the caller itself): the `sid` of subaccount management. */
export function ownSubaccount(ledger: Ledger, caller: Account, params: Params, param: string): Account {
  requireMain(caller)
  const id = requiredAccountId(params, param)
  const target = reachableAccount(ledger, caller, id, param)
  if (target === caller) throw invalidParams(param, 'not a subaccount')
  return target
}

/** Subaccount management is for main accounts only (their tokens carry the `mainaccount` scope). */
export function requireMain(caller: Account): void {
  if (caller.type !== 'main') throw new SimRpcError(13021, 'forbidden', { reason: 'main account only' })
}

/** Two accounts of the same tree (main account and its subaccounts). */
export function sameTree(a: Account, b: Account): boolean {
  return a.mainAccountId === b.mainAccountId
}
