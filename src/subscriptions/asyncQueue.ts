import { SubscriptionOverflowError } from './subscriptionOverflowError.js'

/** Most messages an iteration may hold unread before it ends with {@link SubscriptionOverflowError}. */
export const DEFAULT_MAX_BUFFERED = 10_000

/** Options of {@link AsyncQueue}. */
export interface AsyncQueueOptions {
  /** @default DEFAULT_MAX_BUFFERED */
  maxBuffered?: number
  /** Called once when the queue ends because the consumer fell behind. */
  onOverflow?: (error: SubscriptionOverflowError) => void
  /** Called once when the consumer stops iterating early (`break`, `return()`). */
  onReturn?: () => Promise<void> | void
}

interface Waiter<T> {
  resolve(result: IteratorResult<T>): void
  reject(error: unknown): void
}

/**
 * A bounded push→pull queue behind an async iterator: a producer `push`es, one consumer
 * awaits `next()`. Ending it settles every pending `next()`; an error is delivered once.
 */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  readonly #maxBuffered: number
  readonly #onOverflow: ((error: SubscriptionOverflowError) => void) | undefined
  readonly #onReturn: (() => Promise<void> | void) | undefined
  #buffer: T[] = []
  #head = 0
  readonly #waiters: Waiter<T>[] = []
  #ended = false
  #error: unknown
  #hasError = false

  constructor(options: AsyncQueueOptions = {}) {
    this.#maxBuffered = Math.max(1, options.maxBuffered ?? DEFAULT_MAX_BUFFERED)
    this.#onOverflow = options.onOverflow
    this.#onReturn = options.onReturn
  }

  /** True once ended (by the producer, the consumer, or an overflow). */
  get ended(): boolean {
    return this.#ended
  }

  /** Unread messages. */
  get size(): number {
    return this.#buffer.length - this.#head
  }

  /** Hands `value` to a waiting consumer or buffers it; returns false when the queue has ended. */
  push(value: T): boolean {
    if (this.#ended) return false
    const waiter = this.#waiters.shift()
    if (waiter !== undefined) {
      waiter.resolve({ value, done: false })
      return true
    }
    if (this.size >= this.#maxBuffered) {
      const error = new SubscriptionOverflowError(this.#maxBuffered)
      this.end(error)
      try {
        this.#onOverflow?.(error)
      } catch {
        // The owner's cleanup failing must not break the producer.
      }
      return false
    }
    this.#buffer.push(value)
    return true
  }

  /** Ends the iteration: pending and later `next()` calls finish (or reject once with `error`). Unread messages are dropped. */
  end(error?: unknown): void {
    if (this.#ended) return
    this.#ended = true
    this.#buffer = []
    this.#head = 0
    if (error !== undefined) {
      this.#error = error
      this.#hasError = true
    }
    const waiters = this.#waiters.splice(0)
    for (const waiter of waiters) {
      if (this.#hasError) {
        this.#hasError = false
        waiter.reject(this.#error)
      } else {
        waiter.resolve({ value: undefined, done: true })
      }
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.#buffer[this.#head] as T
      this.#head++
      // Compact now and then so a long-lived queue does not keep consumed slots alive.
      if (this.#head > 1024 && this.#head * 2 > this.#buffer.length) {
        this.#buffer = this.#buffer.slice(this.#head)
        this.#head = 0
      }
      return Promise.resolve({ value, done: false })
    }
    if (this.#ended) {
      if (this.#hasError) {
        this.#hasError = false
        return Promise.reject(this.#error)
      }
      return Promise.resolve({ value: undefined, done: true })
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }))
  }

  async return(): Promise<IteratorResult<T>> {
    const wasEnded = this.#ended
    this.end()
    this.#hasError = false
    if (!wasEnded) {
      try {
        await this.#onReturn?.()
      } catch {
        // Stopping an iteration must not throw from `break`; the owner reports its own failures.
      }
    }
    return { value: undefined, done: true }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this
  }
}
