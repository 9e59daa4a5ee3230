import type { RpcErrorObject } from '../protocol/types.js'
import type { FaultState } from './faultState.js'
import type { MarketControls } from './market.js'
import type { SessionStore } from './sessions.js'
import type { WsGateway } from './wsGateway.js'

/** Which connections a fault hits: one by id, or every open one. */
export type ConnectionSelector = number | 'all'

/** Faults tests inject (`sim.faults`). */
export interface SimulatorFaults {
  /**
   * Drops connections: `close` sends a close frame (code 1001), `terminate` destroys the socket
   * with no close frame. Cancel-on-disconnect fires either way. Returns how many were dropped.
   */
  dropConnections(options?: { which?: ConnectionSelector; mode?: 'close' | 'terminate' }): number
  /**
   * Half-open: the server stops reading the connection and discards everything it would send,
   * without closing it (and its heartbeat stops ticking), until {@link restore} or close.
   */
  halfOpen(which: ConnectionSelector): void
  /** Ends a half-open fault. */
  restore(which: ConnectionSelector): void
  /** Delays the handling (and so the response) of every request by `ms`; 0 turns it off. */
  delayResponses(ms: number): void
  /**
   * Expires now the access tokens of every session named `which` (string) or of account `which`
   * (number). Refresh tokens stay valid, so a client can refresh. Returns how many tokens.
   */
  expireTokens(which: string | number): number
  /**
   * Invalidates every token of every session named `sessionName`. Connections authenticated with
   * it stay open, but their next private call gets 13009 (and raw subscribes 13778) until they
   * authenticate again. Returns how many sessions.
   */
  revokeSession(sessionName: string): number
  /** The next `count` calls of `method` answer `error` without reaching any handler. */
  failNext(method: string, count: number, error: RpcErrorObject): void
  /** Sends a frame that is not valid JSON-RPC (default: truncated JSON) to connections. */
  sendMalformed(which: ConnectionSelector, text?: string): void
  /** The next book change of `instrument` skips a change_id (a gap), via the exchange. */
  skipChangeId(instrument: string): void
  /** Stops the market generator. */
  pauseMarket(): void
  /** Restarts the market generator. */
  resumeMarket(): void
  /** Clears the delay and pending failures and restores half-open connections. */
  reset(): void
}

/** Default payload of {@link SimulatorFaults.sendMalformed}. */
export const DEFAULT_MALFORMED_FRAME = '{"jsonrpc":"2.0","method":"subscription","params":{"channel":'

/** Builds `sim.faults` over the server's parts. */
export function createFaults(
  gateway: WsGateway,
  sessions: SessionStore,
  state: FaultState,
  market: MarketControls,
): SimulatorFaults {
  const select = (which: ConnectionSelector) =>
    [...gateway.connections.values()].filter((c) => which === 'all' || c.id === which)
  return {
    dropConnections({ which = 'all', mode = 'close' } = {}) {
      const conns = select(which)
      for (const c of conns) {
        if (mode === 'terminate') c.terminate()
        else c.close(1001, 'dropped by fault')
      }
      return conns.length
    },
    halfOpen(which) {
      for (const c of select(which)) c.freeze()
    },
    restore(which) {
      for (const c of select(which)) c.thaw()
    },
    delayResponses(ms) {
      state.delayMs = Math.max(0, ms)
    },
    expireTokens(which) {
      return sessions.expireAccess(sessions.matching(which))
    },
    revokeSession(sessionName) {
      const found = sessions.matching(sessionName)
      for (const s of found) sessions.revoke(s)
      return found.length
    },
    failNext(method, count, error) {
      state.failNext(method, count, error)
    },
    sendMalformed(which, text = DEFAULT_MALFORMED_FRAME) {
      for (const c of select(which)) c.deliver(text)
    },
    skipChangeId: (instrument) => market.skipChangeId(instrument),
    pauseMarket: () => market.pause(),
    resumeMarket: () => market.resume(),
    reset() {
      state.reset()
      for (const c of gateway.connections.values()) if (c.halfOpen) c.thaw()
    },
  }
}
