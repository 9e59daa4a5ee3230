import { invalidParams, SimRpcError } from './contract.js'
import { optionalBoolean, optionalEnum, optionalString, requireNumber } from './params.js'
import { NO_RESPONSE, type ServerCall, type ServerDeps, type ServerMethod, wsConnection } from './serverMethod.js'

/** The version `public/test` and `public/hello` report. */
export const SIMULATOR_API_VERSION = '1.2.26'

const COD_SCOPES = ['connection', 'account'] as const

/** Deribit: scope `connection` only over WebSocket; over HTTP only the account scope means anything. */
function codScope(call: ServerCall): 'connection' | 'account' {
  const scope = optionalEnum(call.params, 'scope', COD_SCOPES, 'connection')
  if (scope === 'connection' && call.conn === undefined) {
    throw new SimRpcError(10030, 'must_be_websocket_request', {
      param: 'scope',
      reason: 'connection scope needs WebSocket',
    })
  }
  return scope
}

function setCod(deps: ServerDeps, enabled: boolean): ServerMethod {
  return {
    access: 'private',
    wsOnly: false,
    run(call) {
      const scope = codScope(call)
      if (scope === 'account' && call.auth !== undefined) deps.codByAccount.set(call.auth.accountId, enabled)
      if (call.conn !== undefined) call.conn.cod = enabled
      return 'ok'
    },
  }
}

/** Heartbeat, test, hello, time, cancel-on-disconnect and logout. */
export function connectionMethods(deps: ServerDeps, startHeartbeat: (connId: number, intervalSec: number) => void) {
  const methods: Record<string, ServerMethod> = {
    'public/set_heartbeat': {
      access: 'public',
      wsOnly: true,
      run(call) {
        const interval = requireNumber(call.params, 'interval')
        const min = deps.options.minHeartbeatIntervalSec
        if (interval < min) throw invalidParams('interval', `must be at least ${min}`)
        startHeartbeat(wsConnection(call).id, interval)
        return 'ok'
      },
    },
    'public/disable_heartbeat': {
      access: 'public',
      wsOnly: true,
      run(call) {
        const conn = wsConnection(call)
        conn.heartbeat?.stop()
        conn.heartbeat = undefined
        return 'ok'
      },
    },
    'public/test': {
      access: 'public',
      wsOnly: false,
      run(call) {
        if (optionalString(call.params, 'expected_result') === 'exception') {
          throw new SimRpcError(11094, 'internal_server_error', { reason: 'expected_result: exception' })
        }
        return { version: SIMULATOR_API_VERSION }
      },
    },
    'public/hello': {
      access: 'public',
      wsOnly: false,
      run(call) {
        optionalString(call.params, 'client_name')
        optionalString(call.params, 'client_version')
        return { version: SIMULATOR_API_VERSION }
      },
    },
    'public/get_time': {
      access: 'public',
      wsOnly: false,
      run: () => Math.floor(deps.clock.nowMs()),
    },
    'private/enable_cancel_on_disconnect': setCod(deps, true),
    'private/disable_cancel_on_disconnect': setCod(deps, false),
    'private/get_cancel_on_disconnect': {
      access: 'private',
      wsOnly: false,
      run(call) {
        const scope = codScope(call)
        const enabled =
          scope === 'account' ? (deps.codByAccount.get(call.auth?.accountId ?? -1) ?? false) : wsConnection(call).cod
        return { scope, enabled }
      },
    },
    'private/logout': {
      access: 'private',
      wsOnly: true,
      run(call) {
        const invalidate = optionalBoolean(call.params, 'invalidate_token', true)
        const conn = wsConnection(call)
        if (invalidate && call.auth?.session !== undefined) deps.sessions.revoke(call.auth.session)
        conn.loggedOut = true
        deps.stats.logouts++
        // No response: the socket closes normally right after.
        call.after.push(() => conn.close(1000, 'logout'))
        return NO_RESPONSE
      },
    },
  }
  return methods
}
