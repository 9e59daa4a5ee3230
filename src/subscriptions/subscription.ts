import { AsyncQueue, DEFAULT_MAX_BUFFERED } from './asyncQueue.js'

/** One notification as a {@link Subscription} yields it. */
export interface SubscriptionMessage<T = unknown> {
  /** The channel the notification came on, as the exchange named it. */
  channel: string
  /** The notification's `params.data`: an object or an array, depending on the channel. */
  data: T
  /** The `private/subscribe` label, when the notification carried one. */
  label?: string
}

/** Options of {@link Subscription} (given by its owner, the client). */
export interface SubscriptionOptions {
  /** The channels as the user asked for them. */
  channels: readonly string[]
  /** Removes the subscription from the owner (and the wire when no one else wants the channels). */
  unsubscribe: () => Promise<void>
  /** Most unread messages before iteration ends with `SubscriptionOverflowError`. @default DEFAULT_MAX_BUFFERED (10000) */
  maxBuffered?: number
  /**
   * Buffer messages pushed before anyone iterates. Turn off when the user passed a handler
   * and may never iterate, so an unread buffer cannot overflow. @default true
   */
  bufferBeforeIteration?: boolean
}

/**
 * What only the owner (the client) may do to a {@link Subscription}. Reached through
 * {@link subscriptionInternals}, which the package entry does not export, so a user cannot push a
 * made-up message into an iteration or end one without unsubscribing.
 * @internal
 */
export interface SubscriptionInternals<T> {
  /** Delivers one notification to the iteration (no-op when closed or nobody iterates yet). */
  push(channel: string, data: T, label?: string): void
  /** Ends iteration without calling unsubscribe (client closed, or channel gone), optionally with an error. */
  end(error?: unknown): void
}

let internalsOf: <T>(subscription: Subscription<T>) => SubscriptionInternals<T>

/** The owner's side of `subscription`: the package's own, never exported from its entry. @internal */
export function subscriptionInternals<T>(subscription: Subscription<T>): SubscriptionInternals<T> {
  return internalsOf(subscription)
}

/**
 * What `client.subscribe()` returns: the channels, `unsubscribe()`, and async iteration
 * (`for await (const { channel, data } of sub)`). One consumer at a time. Breaking out of
 * the loop unsubscribes; so does `await using`. If the consumer falls more than
 * `maxBuffered` messages behind, iteration ends with `SubscriptionOverflowError` and the
 * subscription is removed.
 *
 * @example
 * await using sub = await client.subscribe(['trades.BTC-PERPETUAL.100ms', 'user.orders.any.any.raw'])
 * for await (const { channel, data } of sub) {
 *   console.log(channel, data)
 *   if (channel.startsWith('user.orders.')) break // leaving the loop unsubscribes
 * }
 */
export class Subscription<T = unknown> implements AsyncIterable<SubscriptionMessage<T>>, AsyncDisposable {
  /** The channels as the user asked for them. */
  readonly channels: readonly string[]
  readonly #unsubscribe: () => Promise<void>
  readonly #maxBuffered: number
  #queue: AsyncQueue<SubscriptionMessage<T>> | undefined
  #unsubscribing: Promise<void> | undefined
  #closed = false
  readonly #internals: SubscriptionInternals<T> = {
    push: (channel, data, label) => this.#push(channel, data, label),
    end: (error) => this.#end(error),
  }

  static {
    internalsOf = (subscription) => subscription.#internals
  }

  constructor(options: SubscriptionOptions) {
    this.channels = Object.freeze([...options.channels])
    this.#unsubscribe = options.unsubscribe
    this.#maxBuffered = options.maxBuffered ?? DEFAULT_MAX_BUFFERED
    if (options.bufferBeforeIteration ?? true) this.#queue = this.#makeQueue()
  }

  /** True once unsubscribed, ended by the owner, or overflowed. */
  get closed(): boolean {
    return this.#closed
  }

  #push(channel: string, data: T, label?: string): void {
    if (this.#closed || this.#queue === undefined) return
    this.#queue.push(label === undefined ? { channel, data } : { channel, data, label })
  }

  /** Removes the subscription; idempotent (every call returns the first call's promise). Ends iteration. */
  unsubscribe(): Promise<void> {
    if (this.#unsubscribing === undefined) {
      this.#end()
      try {
        this.#unsubscribing = this.#unsubscribe()
      } catch (error) {
        this.#unsubscribing = Promise.reject(error)
      }
    }
    return this.#unsubscribing
  }

  #end(error?: unknown): void {
    if (this.#closed) return
    this.#closed = true
    if (this.#queue === undefined) this.#queue = this.#makeQueue()
    this.#queue.end(error)
  }

  /** Iterates the notifications (buffered since creation unless the owner turned that off). One consumer at a time. */
  [Symbol.asyncIterator](): AsyncIterator<SubscriptionMessage<T>> {
    if (this.#queue === undefined) this.#queue = this.#makeQueue()
    return this.#queue
  }

  /** `await using` support: unsubscribes. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.unsubscribe()
  }

  #makeQueue(): AsyncQueue<SubscriptionMessage<T>> {
    const queue = new AsyncQueue<SubscriptionMessage<T>>({
      maxBuffered: this.#maxBuffered,
      onOverflow: () => {
        this.#closed = true
        this.unsubscribe().catch(() => {
          // The owner logs wire failures; the overflow error already reached the consumer.
        })
      },
      onReturn: () => this.unsubscribe(),
    })
    return queue
  }
}
