import { DeribitError } from '../errors.js'
import { type OrderTracker, trackerInternals } from '../orders/orderTracker.js'
import type { CreditLimiter } from '../rpc/creditLimiter.js'
import type { RpcClient } from '../rpc/rpcClient.js'
import type { ActiveSession } from '../session/activeSession.js'
import type { HeldSessions } from '../session/heldSessions.js'
import type { RefreshScheduler } from '../session/refreshScheduler.js'
import type { SessionPersistence } from '../session/sessionPersistence.js'
import { type SideConnectionOptions, withSideConnection } from '../session/sideConnection.js'
import { authenticateWithRefreshToken } from '../session/tokenOperations.js'
import type { SubscriptionManager } from '../subscriptions/subscriptionManager.js'
import type { IdleWatchdog } from '../transport/idleWatchdog.js'
import type { Logger } from '../transport/logger.js'
import type { ReconnectingSocket } from '../transport/socket.js'
import type { TypedEmitter } from '../transport/typedEmitter.js'
import type { Connection } from './connection.js'
import type { ClientEvents } from './events.js'
import type { IdentityGate } from './identityGate.js'
import type { Lifetime } from './lifetime.js'
import type { ClientParts } from './parts.js'

/** What {@link sessionEndings} gives the client (documented on `ClientParts`). */
export type SessionEndings = Pick<ClientParts, 'resume' | 'endHeld' | 'logout' | 'close'>

/** The parts a session's start and ends touch. */
export interface SessionEndingParts {
  sessionName: string | undefined
  requestTimeoutMs: number
  /** Options of a side connection (a held session is ended on one, off the main socket). */
  side: () => SideConnectionOptions
  logger: Logger
  events: TypedEmitter<ClientEvents>
  lifetime: Lifetime
  connection: Connection
  socket: ReconnectingSocket
  rpc: RpcClient
  gate: IdentityGate
  active: ActiveSession
  held: HeldSessions
  persistence: SessionPersistence
  scheduler: RefreshScheduler
  watchdog: IdleWatchdog | undefined
  limiter: CreditLimiter | undefined
  subscriptions: SubscriptionManager
  tracker: OrderTracker
}

/**
 * Where a client's sessions begin from the store and end: resuming the stored one, ending a held
 * one at the exchange, logging the active one out, and closing the client (after which nothing is
 * armed and nothing is sent).
 */
export function sessionEndings(o: SessionEndingParts): SessionEndings {
  const { logger, events, lifetime, socket, rpc, gate, active, held, persistence } = o
  const conn = o.connection
  return {
    async resume() {
      const name = o.sessionName
      if (!name || !persistence.enabled) return
      try {
        const resumed = await persistence.resume(name)
        if (resumed) {
          active.resume(resumed)
          logger.info({ session: resumed.id }, 'resuming stored session')
        }
      } catch (error) {
        if ((error as DeribitError).code === 'REVOKED') throw error
        logger.warn({ error: String(error) }, 'session store unreadable; authenticating afresh')
      }
    },
    async endHeld(sessionId) {
      const target = await held.take(sessionId)
      if (!target) throw new DeribitError('INVALID_ARGUMENT', 'No held session with that id')
      await withSideConnection(o.side(), async (sideRpc, closed) => {
        await authenticateWithRefreshToken(sideRpc, target.refreshToken)
        // No answer comes: the exchange invalidates the session and closes this side socket.
        sideRpc.call('private/logout', { invalidate_token: true }).catch(() => undefined)
        await Promise.race([closed, lifetime.sleep(o.requestTimeoutMs)])
      })
      const ended = held.end(sessionId, Date.now())
      active.markEnded(sessionId)
      if (ended) await persistence.markInactive(ended)
    },
    async logout(invalidateToken) {
      await gate.ready.wait(o.requestTimeoutMs)
      const epoch = conn.epoch
      conn.loggingOut = true
      conn.suspend()
      const closed = new Promise<void>((resolve) => {
        const off = socket.on('close', (info) => {
          if (info.epoch !== epoch) return
          off()
          resolve()
        })
      })
      // Deribit sends no answer to logout; the socket closing is the answer.
      rpc
        .call('private/logout', { invalidate_token: invalidateToken }, { epoch, timeoutMs: 5000 })
        .catch(() => undefined)
      const cancel = lifetime.timeout(() => socket.drop('logout not acknowledged'), 5000)
      await closed
      cancel()
      const ended = active.current
      if (ended) {
        active.markEnded(ended.id)
        held.end(ended.id, Date.now())
        // The record stays, inactive: history is never deleted silently.
        if (invalidateToken) await persistence.markInactive(ended)
      }
    },
    async close(error) {
      lifetime.end()
      gate.close(error)
      o.scheduler.cancel()
      o.watchdog?.stop()
      o.limiter?.clear()
      held.close()
      o.subscriptions.close(error)
      await conn.close(error)
      // What the store was told last lands before close() resolves: a restart reads it.
      await active.flush()
      events.removeAllListeners()
      trackerInternals(o.tracker).removeAllListeners()
    },
  }
}
