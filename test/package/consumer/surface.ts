// What a user cannot do, checked by the compiler: every `@ts-expect-error` below must be an error,
// or tsc fails this project.
import type { DeribitClientOptions, LocalOrderBook, OrderTracker, Subscription } from 'deribit-session'

/** Only the client feeds a book, a subscription and the order tracker. */
export function internalsAreNotPublic(book: LocalOrderBook, sub: Subscription, tracker: OrderTracker): void {
  // @ts-expect-error a user cannot apply a made-up book change
  book.apply
  // @ts-expect-error nor wipe a live book
  book.reset
  // @ts-expect-error nor push a message into a subscription
  sub.push
  // @ts-expect-error nor end one without unsubscribing
  sub.end
  // @ts-expect-error nor feed the order tracker
  tracker.apply
  // @ts-expect-error nor reconcile it
  tracker.reconcile
  // @ts-expect-error nor emit an order event the client would relay
  tracker.emit
  // @ts-expect-error nor remove the client's own listener
  tracker.removeAllListeners
  // @ts-expect-error nor emit a made-up book update
  book.emit
}

/** The WebSocket option is typed (not `any`) without @types/ws: a class that makes sockets. */
export const notAClass: DeribitClientOptions = {
  url: 'ws://127.0.0.1:1/ws/api/v2',
  // @ts-expect-error a number is not a WebSocket class
  WebSocket: 42,
}

/** A class of the right shape is accepted (as `ws`'s own WebSocket is). */
export class ShapedWebSocket {
  readonly readyState = 0
  constructor(readonly url: string) {}
  send(_data: string): void {}
  close(): void {}
  terminate(): void {}
  on(_event: string, _listener: (...args: never[]) => void): this {
    return this
  }
}
export const shaped: DeribitClientOptions = { url: 'ws://127.0.0.1:1/ws/api/v2', WebSocket: ShapedWebSocket }

/** `console` fits the logger option as it is: it prints the fields, then the message. */
export const withConsole: DeribitClientOptions = { url: 'ws://127.0.0.1:1/ws/api/v2', logger: console }

/** A logger in the old `(message, fields)` order does not compile: it would lose the fields under pino. */
export const reversed: DeribitClientOptions = {
  url: 'ws://127.0.0.1:1/ws/api/v2',
  logger: {
    // @ts-expect-error the message comes second
    debug: (_msg: string, _fields?: Record<string, unknown>) => {},
    // @ts-expect-error the message comes second
    info: (_msg: string, _fields?: Record<string, unknown>) => {},
    // @ts-expect-error the message comes second
    warn: (_msg: string, _fields?: Record<string, unknown>) => {},
    // @ts-expect-error the message comes second
    error: (_msg: string, _fields?: Record<string, unknown>) => {},
  },
}
