import { TransitionFailedError } from '../errors.js'
import type { CallOptions } from '../session/rpcCaller.js'
import type { SessionContext } from '../session/sessionContext.js'
import type { ClientParts } from './parts.js'

/**
 * The transitions a user asks for: exchange (another subject), fork (a new named session) and
 * switch (a session already held), each queued behind the ones before it and bounded by the
 * caller's `timeoutMs` and `signal`.
 */
export class SessionMoves {
  readonly #p: ClientParts

  constructor(parts: ClientParts) {
    this.#p = parts
  }

  /** `public/exchange_token` to `subjectId`. */
  exchange(subjectId: number, options: { scope?: string } & CallOptions): Promise<SessionContext> {
    return this.#p.transitions.run(
      'exchange',
      'user',
      (from, caller) => this.#p.auth.exchange(caller, from, subjectId, options.scope),
      bounds(options),
    )
  }

  /** `public/fork_token` into `sessionName`. */
  fork(sessionName: string, options: CallOptions): Promise<SessionContext> {
    return this.#p.transitions.run(
      'fork',
      'user',
      (from, caller) => this.#p.auth.fork(caller, from, sessionName),
      bounds(options),
    )
  }

  /** Signs the connection in with a held session; the active one already is. */
  async switchTo(sessionId: string, options: CallOptions): Promise<SessionContext> {
    const { held, transitions, auth, active } = this.#p
    const current = active.current
    if (current?.id === sessionId) return current
    if (!held.get(sessionId)) {
      throw new TransitionFailedError('switch', 'No held session with that id (ended, expired, or never held)')
    }
    return transitions.run(
      'switch',
      'user',
      async (_from, caller) => {
        const target = await held.take(sessionId)
        if (!target) throw new TransitionFailedError('switch', 'The held session ended before the switch')
        return auth.switchTo(caller, target)
      },
      bounds(options),
    )
  }
}

/** A transition's deadline and signal, from the caller's options. */
function bounds(options: CallOptions): { deadline?: number; signal?: AbortSignal } {
  return {
    ...(options.timeoutMs !== undefined ? { deadline: Date.now() + options.timeoutMs } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  }
}
