import type { RpcErrorObject } from '../protocol/types.js'

/** A request id as echoed: absent (`undefined`, e.g. an oversized frame), null (unparseable), or the client's. */
export type EchoId = number | string | null | undefined

/** Response timing: `usIn` when the request arrived, `usOut` when the answer leaves (µs). */
export interface Timing {
  usIn: number
  usOut: number
}

function idPart(id: EchoId): string {
  return id === undefined ? '' : `"id":${JSON.stringify(id)},`
}

function tail(t: Timing): string {
  return `"usIn":${t.usIn},"usOut":${t.usOut},"usDiff":${t.usOut - t.usIn},"testnet":true}`
}

/** A success response with Deribit's envelope (`usIn`, `usOut`, `usDiff`, `testnet`). */
export function encodeResult(id: EchoId, result: unknown, t: Timing): string {
  // `undefined` is not JSON; a handler returning nothing answers null rather than a broken frame.
  return `{"jsonrpc":"2.0",${idPart(id)}"result":${JSON.stringify(result) ?? 'null'},${tail(t)}`
}

/** An error response with Deribit's envelope. */
export function encodeError(id: EchoId, error: RpcErrorObject, t: Timing): string {
  const body: RpcErrorObject = { message: error.message, code: error.code } as RpcErrorObject
  if (error.data !== undefined) body.data = error.data
  return `{"jsonrpc":"2.0",${idPart(id)}"error":${JSON.stringify(body)},${tail(t)}`
}
