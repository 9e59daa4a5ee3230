import { EventEmitter } from 'node:events'
import type { DeribitError } from '../errors.js'
import type { Order } from '../protocol/types.js'
import type { SessionContext, TransitionKind } from '../session/sessionContext.js'

/** What the client is doing; emitted as `state`. */
export type ClientState =
  | 'idle'
  | 'connecting'
  | 'authenticating'
  | 'ready'
  | 'transitioning'
  | 'reconnecting'
  | 'closed'

/** Payload of `transition`: one per token transition, and one per re-authentication after a reconnect. */
export interface TransitionEvent {
  kind: TransitionKind
  /**
   * Why it happened: the first `connect()`, the user asked, the refresh timer fired, a call met an
   * expired token, or the socket came back.
   */
  cause: 'connect' | 'user' | 'timer' | 'reconnect' | 'expired'
  from: SessionContext | undefined
  to: SessionContext
  /** Channels subscribed again on the wire. */
  resubscribed: number
  /** Orders whose state the reconciliation changed in the tracker. */
  reconciled: number
  ms: number
}

/** Payload of `resubscribed`. */
export interface ResubscribedEvent {
  reason: 'reconnect' | 'transition' | 'gap'
  channels: string[]
  ms: number
}

/** Payload of `gap`: a book stream skipped a change; the channel is being resubscribed for a fresh snapshot. */
export interface GapEvent {
  channel: string
  expectedPrevChangeId: number | undefined
  prevChangeId: number | undefined
}

/** Every event of {@link DeribitClient} with its listener arguments. */
export interface ClientEvents {
  state: [state: ClientState, previous: ClientState]
  transition: [event: TransitionEvent]
  resubscribed: [event: ResubscribedEvent]
  order: [order: Order, subjectId: number | undefined]
  gap: [event: GapEvent]
  revoked: [error: DeribitError]
  error: [error: DeribitError]
}

/**
 * The client's typed EventEmitter: chainable `on`/`off` like Node's, and `error` only emitted
 * when someone listens, so recoverable trouble never reaches Node's crash-on-unhandled-`error`.
 * (The lower layers use the allocation-free emitter in `transport/typedEmitter.ts`.)
 */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] }> {
  readonly #emitter = new EventEmitter()

  /** Adds a listener. */
  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.on(event, listener as (...args: unknown[]) => void)
    return this
  }

  /** Adds a listener called at most once. */
  once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.once(event, listener as (...args: unknown[]) => void)
    return this
  }

  /** Removes a listener. */
  off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    this.#emitter.off(event, listener as (...args: unknown[]) => void)
    return this
  }

  /** How many listeners an event has. */
  listenerCount<K extends keyof E & string>(event: K): number {
    return this.#emitter.listenerCount(event)
  }

  /** Removes every listener (on close). */
  removeAllListeners(): void {
    this.#emitter.removeAllListeners()
  }

  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    if (event === 'error' && this.#emitter.listenerCount('error') === 0) return
    this.#emitter.emit(event, ...args)
  }
}
