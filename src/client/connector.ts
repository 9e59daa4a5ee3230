import { ClientClosedError, ConnectionClosedError, type DeribitError, RevokedError } from '../errors.js'
import type { ConnectOptions } from './options.js'
import type { ClientParts } from './parts.js'

/** What {@link Connector} needs besides the parts. */
export interface ConnectorHooks {
  /** The first start: watch the store for revocations from now on. */
  onStart: () => void
  /** The stored session was revoked before it could be resumed. */
  onRevoked: (error: RevokedError) => void
  close: () => Promise<void>
}

/**
 * `connect()`: one attempt at a time for every caller, the stored session resumed on the first,
 * and a wait for `ready` that fails fast on the first socket error (unless told to keep trying),
 * at the timeout, on abort, or when the client closes.
 */
export class Connector {
  readonly #p: ClientParts
  readonly #hooks: ConnectorHooks
  #connecting: Promise<void> | undefined
  #waiter: { resolve: () => void; reject: (e: Error) => void } | undefined

  constructor(parts: ClientParts, hooks: ConnectorHooks) {
    this.#p = parts
    this.#hooks = hooks
  }

  /** Connects, or joins the attempt under way. */
  connect(options: ConnectOptions): Promise<void> {
    this.#connecting ??= this.#connect(options).finally(() => {
      this.#connecting = undefined
    })
    return this.#connecting
  }

  /** The connection is ready: a waiting `connect()` resolves. */
  established(): void {
    this.#waiter?.resolve()
  }

  /** The connection gave up reconnecting: a waiting `connect()` rejects, `error` is emitted, the client closes. */
  giveUp(error: DeribitError): void {
    this.#waiter?.reject(error)
    this.#p.events.emit('error', error)
    void this.#hooks.close()
  }

  /** A waiting `connect()` rejects with `error`. */
  fail(error: Error): void {
    this.#waiter?.reject(error)
  }

  async #connect(options: ConnectOptions): Promise<void> {
    const { connection, lifetime } = this.#p
    if (connection.state === 'closed') throw new ClientClosedError()
    if (connection.state === 'ready') return
    const starting = connection.state === 'idle'
    if (starting) {
      try {
        await this.#p.resume()
      } catch (error) {
        if (error instanceof RevokedError) this.#hooks.onRevoked(error)
        throw error
      }
    }
    const ready = new Promise<void>((resolve, reject) => {
      this.#waiter = { resolve, reject }
    })
    if (starting) {
      this.#hooks.onStart()
      connection.start()
    }
    // Fail fast: the first attempt's own error, not a silent wait for the timeout.
    const offError =
      starting && options.keepRetrying !== true
        ? this.#p.onSocketError((error) => {
            if (this.#waiter === undefined || connection.established.isOpen) return
            const cause = error.cause instanceof Error ? error.cause : error
            this.#waiter.reject(
              new ConnectionClosedError(`Could not connect to ${this.#p.options.url}: ${cause.message}`, {
                notSent: true,
                cause,
              }),
            )
            void this.#hooks.close()
          })
        : undefined
    const timeoutMs = options.timeoutMs ?? 30_000
    const signals = [lifetime.signal, AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])]
    const signal = AbortSignal.any(signals)
    const onAbort = () =>
      this.#waiter?.reject(
        lifetime.ended
          ? new ClientClosedError()
          : new ConnectionClosedError(`Not ready within ${timeoutMs} ms or aborted`, { notSent: true }),
      )
    signal.addEventListener('abort', onAbort, { once: true })
    try {
      await ready
    } finally {
      offError?.()
      signal.removeEventListener('abort', onAbort)
      this.#waiter = undefined
    }
  }
}
