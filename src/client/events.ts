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
  /** Which transition: `initial`, `refresh`, `exchange`, `fork` or `switch`. */
  kind: TransitionKind
  /**
   * Why it happened: the first `connect()`, the user asked, the refresh timer fired, a call met an
   * expired token, or the socket came back.
   */
  cause: 'connect' | 'user' | 'timer' | 'reconnect' | 'expired'
  /** The session before; undefined for the first login. */
  from: SessionContext | undefined
  /** The session now active. */
  to: SessionContext
  /** Channels subscribed again on the wire. */
  resubscribed: number
  /** Orders whose state the reconciliation changed in the tracker. */
  reconciled: number
  /** How long the transition took, from its start to channels and orders restored, in ms. */
  ms: number
}

/** Payload of `resubscribed`. */
export interface ResubscribedEvent {
  /** What made it necessary: a new socket, a change of identity, or a book gap. */
  reason: 'reconnect' | 'transition' | 'gap'
  /** The channels the exchange confirmed. */
  channels: string[]
  /** How long resubscribing took, in ms. */
  ms: number
}

/** Payload of `gap`: a book stream skipped a change; the channel is being resubscribed for a fresh snapshot. */
export interface GapEvent {
  /** The book channel, e.g. `book.BTC-PERPETUAL.100ms`. */
  channel: string
  /** The `change_id` of the last change applied, which the next `prev_change_id` should have equalled. */
  expectedPrevChangeId: number | undefined
  /** The `prev_change_id` that arrived instead. */
  prevChangeId: number | undefined
}

/** Every event of {@link DeribitClient} with its listener arguments. */
export interface ClientEvents {
  /** The client's state changed. */
  state: [state: ClientState, previous: ClientState]
  /** A token transition (or a re-authentication after a reconnect) completed. */
  transition: [event: TransitionEvent]
  /** Channels were subscribed again after a reconnect, transition or book gap. */
  resubscribed: [event: ResubscribedEvent]
  /** The order tracker took a newer state of an order; `subjectId` is the (sub)account it belongs to, when known. */
  order: [order: Order, subjectId: number | undefined]
  /** A book stream skipped a change; a fresh snapshot is on its way. */
  gap: [event: GapEvent]
  /** The session was revoked (by the exchange, or by an operator through the store); the client stops. */
  revoked: [error: DeribitError]
  /** Trouble the client cannot attach to a call (a dropped frame, a drop with reconnecting off). Emitted only while someone listens. */
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

  /** Calls the event's listeners; `error` is dropped when nobody listens. */
  protected emit<K extends keyof E & string>(event: K, ...args: E[K]): void {
    if (event === 'error' && this.#emitter.listenerCount('error') === 0) return
    this.#emitter.emit(event, ...args)
  }
}
