import { setTimeout as sleep } from 'node:timers/promises'
import { JSONRPC_ERRORS } from '../protocol/errorCodes.js'
import type { RpcErrorObject } from '../protocol/types.js'
import type { SimConnection } from './connection.js'
import { type CallContext, SimRpcError } from './contract.js'
import type { FaultState } from './faultState.js'
import { observedParams } from './paramReads.js'
import { validateParams, wsOnlyBySpec } from './requestValidation.js'
import { enforceScope } from './scope.js'
import { type CallAuth, NO_RESPONSE, type ServerCall, type ServerDeps, type ServerMethod } from './serverMethod.js'
import { type Presenter, unauthorized } from './sessions.js'

/** How a request ended: a result, an error, or (logout) nothing to send. */
export type Outcome =
  | { kind: 'result'; result: unknown; after: Array<() => void> }
  | { kind: 'error'; error: RpcErrorObject }
  | { kind: 'none'; after: Array<() => void> }

/** What the dispatcher needs of a request (the id stays with the transport). */
export interface DispatchRequest {
  method: string
  params: Record<string, unknown>
}

/** Who is calling, as the transport saw it. */
export interface Caller {
  conn: SimConnection | undefined
  presenter: Presenter
  /** HTTP only: credentials from the `Authorization` header, already checked. */
  httpAuth: CallAuth | undefined
}

const MUST_BE_WEBSOCKET: RpcErrorObject = { code: 10030, message: 'must_be_websocket_request' }

function toErrorObject(err: unknown): RpcErrorObject {
  if (err instanceof SimRpcError) {
    return err.data === undefined
      ? { code: err.code, message: err.message }
      : { code: err.code, message: err.message, data: err.data }
  }
  // Never crash and never stay silent: a handler bug still answers the request.
  const reason = err instanceof Error ? err.message : String(err)
  return { code: 11094, message: 'internal_server_error', data: { reason } }
}

/** Routes a checked request to a server method or an exchange handler, for both transports. */
export class Dispatcher {
  constructor(
    private readonly deps: ServerDeps,
    private readonly serverMethods: Readonly<Record<string, ServerMethod>>,
    private readonly faults: FaultState,
  ) {}

  async dispatch(req: DispatchRequest, caller: Caller): Promise<Outcome> {
    if (this.faults.delayMs > 0) await sleep(this.faults.delayMs, undefined, { ref: false })
    this.deps.stats.countRequest(req.method)
    const injected = this.faults.take(req.method)
    if (injected !== undefined) return { kind: 'error', error: injected }
    try {
      return await this.#run(req, caller)
    } catch (err) {
      return { kind: 'error', error: toErrorObject(err) }
    }
  }

  async #run(req: DispatchRequest, caller: Caller): Promise<Outcome> {
    const own = Object.hasOwn(this.serverMethods, req.method) ? this.serverMethods[req.method] : undefined
    if (own !== undefined) {
      if ((own.wsOnly || wsOnlyBySpec(req.method)) && caller.conn === undefined) {
        return { kind: 'error', error: MUST_BE_WEBSOCKET }
      }
      const auth = own.access === 'private' ? this.#authorize(req, caller) : undefined
      const call: ServerCall = {
        params: observedParams(req.method, validateParams(req.method, req.params)),
        conn: caller.conn,
        presenter: caller.presenter,
        auth,
        after: [],
      }
      const result = own.run(call)
      return result === NO_RESPONSE
        ? { kind: 'none', after: call.after }
        : { kind: 'result', result, after: call.after }
    }
    const methods = this.deps.exchange.methods
    const handler = Object.hasOwn(methods, req.method) ? methods[req.method] : undefined
    if (handler === undefined) return { kind: 'error', error: { ...JSONRPC_ERRORS.methodNotFound } }
    if (wsOnlyBySpec(req.method) && caller.conn === undefined) return { kind: 'error', error: MUST_BE_WEBSOCKET }
    let accountId: number | undefined
    if (req.method.startsWith('private/')) {
      accountId = this.#authorize(req, caller).accountId
    } else {
      const a = caller.conn?.auth
      accountId = a !== undefined && this.deps.sessions.isLive(a.accessToken) ? a.session.accountId : undefined
    }
    const { access_token: _token, ...params } = validateParams(req.method, req.params)
    const ctx: CallContext = {
      accountId,
      connectionId: caller.conn?.id,
      transport: caller.conn === undefined ? 'http' : 'ws',
      now: this.deps.clock.nowMs(),
    }
    const result = await handler(observedParams(req.method, params), ctx)
    return { kind: 'result', result, after: [] }
  }

  /** The caller of a private method, refused (13021) when its scope does not allow the method. */
  #authorize(req: DispatchRequest, caller: Caller): CallAuth {
    const auth = this.#resolveAuth(req.params, caller)
    enforceScope(req.method, req.params, auth.scope, this.deps.accounts.isMain(auth.accountId))
    return auth
  }

  /** The caller of a private method: an explicit `access_token`, the connection's identity, or HTTP credentials. */
  #resolveAuth(params: Record<string, unknown>, caller: Caller): CallAuth {
    const token = params.access_token
    if (typeof token === 'string') {
      const { session, scope } = this.deps.sessions.checkAccess(token, caller.presenter)
      return { accountId: session.accountId, session, scope }
    }
    if (token !== undefined) throw unauthorized()
    const a = caller.conn?.auth
    if (a !== undefined) {
      // The connection stays authenticated only while its token does: expiry or revocation ends it.
      if (a.session.revoked || !this.deps.sessions.isLive(a.accessToken)) throw unauthorized()
      return { accountId: a.session.accountId, session: a.session, scope: this.deps.sessions.scopeOf(a.accessToken) }
    }
    if (caller.httpAuth !== undefined) return caller.httpAuth
    throw unauthorized()
  }
}
