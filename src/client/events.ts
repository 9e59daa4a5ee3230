import type { DeribitError } from '../errors.js'
import type { TrackedOrder } from '../orders/orderTracker.js'
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

/** Payload of `degraded`: a part of the client's upkeep that failed and is being retried. */
export interface DegradedEvent {
  /** What failed: reconciling the order tracker with the exchange. */
  reason: 'reconcile'
  /** Why. */
  error: DeribitError
  /** How many times in a row it failed. */
  attempt: number
  /** When it is tried again, in ms. */
  retryInMs: number
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
  order: [order: TrackedOrder, subjectId: number | undefined]
  /** A book stream skipped a change; a fresh snapshot is on its way. */
  gap: [event: GapEvent]
  /** The session was revoked (by the exchange, or by an operator through the store); the client stops. */
  revoked: [error: DeribitError]
  /** Order reconciliation failed (a query refused or lost); it is retried with backoff meanwhile. */
  degraded: [event: DegradedEvent]
  /** Trouble the client cannot attach to a call (a dropped frame, a drop with reconnecting off). Emitted only while someone listens. */
  error: [error: DeribitError]
}
