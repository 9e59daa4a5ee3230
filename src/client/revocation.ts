import { RevokedError } from '../errors.js'
import type { ClientParts } from './parts.js'

/** What {@link Revocation} does besides telling: reject a pending `connect()`, and close. */
export interface RevocationHooks {
  /** The active session's name, if it has one (only that one's revocation concerns the client). */
  sessionName: () => string | undefined
  /** Rejects a `connect()` that is waiting. */
  failConnect: (error: RevokedError) => void
  /** Closes the client. */
  close: () => Promise<void>
}

/**
 * A revoked session stops the client, however the revocation arrives: the exchange refusing its
 * key or token, a refused save, or an operator through the store. `revoked` is emitted once; an
 * operator's revocation logs the session out first (briefly: the client closes either way).
 */
export class Revocation {
  readonly #p: ClientParts
  readonly #hooks: RevocationHooks
  #emitted = false
  #unwatch: (() => void) | undefined

  constructor(parts: ClientParts, hooks: RevocationHooks) {
    this.#p = parts
    this.#hooks = hooks
  }

  /** Listens to the store's revocations (from `connect()` until `stop()`). */
  watch(): void {
    this.#unwatch ??= this.#p.persistence.watchRevocations((name) => {
      if (name === this.#hooks.sessionName()) void this.byOperator(name)
    })
  }

  /** Stops listening to the store. */
  stop(): void {
    this.#unwatch?.()
    this.#unwatch = undefined
  }

  /** The exchange (or the store, on a save) says the session is revoked: stop. */
  revoked(error: RevokedError): void {
    this.#hooks.failConnect(error)
    if (!this.#emitted) {
      this.#emitted = true
      this.#p.logger.warn({ code: error.exchangeCode }, 'session revoked; the client stops')
      this.#p.events.emit('revoked', error)
    }
    void this.#hooks.close()
  }

  /** An operator revoked this session through the store: log out, close, never reconnect. */
  async byOperator(sessionName: string): Promise<void> {
    if (this.#p.connection.state === 'closed' || this.#emitted) return
    this.#emitted = true
    const error = new RevokedError(`Session ${sessionName} was revoked by an operator`)
    this.#p.logger.warn({ session: sessionName }, 'session revoked through the store; logging out')
    this.#p.events.emit('revoked', error)
    this.#hooks.failConnect(error)
    if (this.#p.gate.ready.isOpen) {
      await Promise.race([this.#p.logout(true).catch(() => undefined), this.#p.lifetime.sleep(500)])
    }
    await this.#hooks.close()
  }
}
