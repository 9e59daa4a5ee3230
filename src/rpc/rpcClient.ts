import {
  AbortError,
  ConnectionClosedError,
  DeribitError,
  errorFromExchange,
  ProtocolError,
  RateLimitedError,
  TimeoutError,
} from '../errors.js'
import type { RpcErrorObject } from '../protocol/types.js'
import { type Logger, silentLogger } from '../transport/logger.js'
import { monotonicNow, SYSTEM_TIMERS, type Timers } from '../transport/timers.js'
import type { CreditLimiter } from './creditLimiter.js'
import { type FrameSink, readFrame } from './frame.js'
import {
  type CallOptions,
  type CallSink,
  DEFAULT_RPC_CLIENT_OPTIONS,
  type RpcClientOptions,
  type RpcSocket,
} from './rpcOptions.js'

export * from './rpcOptions.js'

/** A call from `call()` to its settlement. `id`/`epoch` are set when the frame is written. */
interface Call {
  readonly method: string
  readonly params: Record<string, unknown> | undefined
  readonly pinnedEpoch: number | undefined
  readonly signal: AbortSignal | undefined
  readonly sink: CallSink
  /** When it times out, on the {@link monotonicNow} clock. */
  readonly deadline: number
  readonly timeoutMs: number
  id: number
  epoch: number
  written: boolean
  settled: boolean
  onAbort: (() => void) | undefined
  queueAbort: AbortController | undefined
}

/**
 * JSON-RPC over a {@link RpcSocket}: correlates answers with calls by id, times calls out, answers
 * the exchange's `test_request` heartbeats, and hands notifications on. It never retries and never
 * writes a frame on a socket other than the one the caller expects.
 */
export class RpcClient {
  readonly #socket: RpcSocket
  readonly #requestTimeoutMs: number
  readonly #logger: Logger
  readonly #limiter: CreditLimiter | undefined
  readonly #maxPayloadBytes: number
  readonly #maxRequestBytes: number
  readonly #timers: Timers
  readonly #onNotification: RpcClientOptions['onNotification']
  readonly #onProtocolError: ((error: ProtocolError) => void) | undefined
  /** Written calls awaiting an answer, by id. */
  readonly #inFlight = new Map<number, Call>()
  /** Calls waiting in the limiter. */
  readonly #queued = new Set<Call>()
  #lastId = 0
  /**
   * The one timer that times calls out, armed while calls are pending, for the earliest deadline
   * among them (or earlier). One timer for all calls rather than one each: with calls of one
   * timeout, deadlines only grow, so calls in flight together arm it once.
   */
  #deadlineTimer: unknown
  /** The deadline {@link RpcClient.#deadlineTimer} is armed for; Infinity when it is not armed. */
  #armedFor = Number.POSITIVE_INFINITY
  readonly #onDeadline = (): void => this.#expire()
  readonly #disarmIfIdle = (): void => {
    if (this.#inFlight.size === 0 && this.#queued.size === 0) this.#disarm()
  }
  /** Where `handleMessage` sends each classified frame; the context is the socket epoch. */
  readonly #frames: FrameSink<number> = {
    notification: (channel, data, label) => {
      try {
        this.#onNotification(channel, data, label)
      } catch (error) {
        this.#logger.error({ channel, error: describe(error) }, 'notification handler threw')
      }
    },
    response: (id, result, error, epoch) => this.#onResponse(id, result, error, epoch),
    heartbeat: (type, epoch) => {
      if (type === 'test_request') this.#answerTestRequest(epoch)
    },
    invalid: (reason, epoch) => {
      this.#logger.warn({ reason, epoch }, 'dropped invalid frame')
      const error = new ProtocolError(`Dropped an invalid frame: ${reason}`)
      try {
        this.#onProtocolError?.(error)
      } catch (thrown) {
        this.#logger.error({ error: describe(thrown) }, 'protocol error handler threw')
      }
    },
  }

  /** Where the answer to a `test_request` goes: only a failure is worth a line in the log. */
  readonly #testAnswer: CallSink = {
    resolve: () => {},
    reject: (error) => this.#logger.warn({ error: describe(error) }, 'answering test_request failed'),
  }

  constructor(options: RpcClientOptions) {
    this.#socket = options.socket
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_RPC_CLIENT_OPTIONS.requestTimeoutMs
    this.#logger = options.logger ?? silentLogger
    this.#limiter = options.limiter
    this.#maxPayloadBytes = options.maxPayloadBytes ?? DEFAULT_RPC_CLIENT_OPTIONS.maxPayloadBytes
    this.#maxRequestBytes = options.maxRequestBytes ?? DEFAULT_RPC_CLIENT_OPTIONS.maxRequestBytes
    this.#timers = options.timers ?? SYSTEM_TIMERS
    this.#onNotification = options.onNotification
    this.#onProtocolError = options.onProtocolError
  }

  /** Calls not settled yet: written and awaiting an answer, or waiting in the limiter. */
  get pendingCount(): number {
    return this.#inFlight.size + this.#queued.size
  }

  /** The id of the last frame written (ids are strictly increasing integers from 1). */
  get lastId(): number {
    return this.#lastId
  }

  /**
   * Sends `method` and resolves with its result. Goes through the limiter (if any), then writes
   * only if the socket is open (on `options.epoch`, when given); otherwise rejects with
   * `ConnectionClosedError` code `NOT_CONNECTED` and writes nothing. Rejects with the mapped
   * exchange error (`errorFromExchange`), `TimeoutError` or `AbortError`. Params never appear in
   * errors or logs.
   */
  call<T>(method: string, params?: Record<string, unknown>, options: CallOptions = {}): Promise<T> {
    const signal = options.signal
    if (signal?.aborted) return Promise.reject(new AbortError(`${method} was aborted`, { method }))
    return new Promise<T>((resolve, reject) => {
      this.#start(method, params, options, false, { resolve: resolve as (value: unknown) => void, reject })
    })
  }

  /**
   * {@link RpcClient.call} without a promise: the outcome goes to `sink`, synchronously from the
   * frame's arrival (or at once, when nothing could be written). For a caller that settles its
   * own promise: an answer then reaches user code in the same turn, with no promise in between.
   */
  request<T>(
    method: string,
    params: Record<string, unknown> | undefined,
    options: CallOptions,
    sink: CallSink<T>,
  ): void {
    if (options.signal?.aborted) {
      sink.reject(new AbortError(`${method} was aborted`, { method }))
      return
    }
    this.#start(method, params, options, false, sink as CallSink)
  }

  /**
   * Parses one incoming frame and dispatches it: answers to their calls, notifications to
   * `onNotification`, `test_request` to an immediate `public/test`. Never throws.
   */
  handleMessage(text: string, epoch: number): void {
    readFrame(text, this.#maxPayloadBytes, this.#frames, epoch)
  }

  /**
   * The socket of `epoch` closed: rejects every call written on it (`error(true)`: the outcome is
   * unknown, the caller decides what to do) and every queued call pinned to it (`error(false)`).
   * @default error: ConnectionClosedError, `CONNECTION_CLOSED` if written, else `NOT_CONNECTED`
   */
  failPending(epoch: number, error: (written: boolean) => DeribitError = closedError): void {
    for (const call of [...this.#inFlight.values()]) {
      if (call.epoch === epoch) this.#settle(call, error(true))
    }
    for (const call of [...this.#queued]) {
      if (call.pinnedEpoch === epoch) this.#settle(call, error(false))
    }
  }

  /** Times out every pending call whose deadline has passed, and arms the timer for the next one. */
  #expire(): void {
    this.#deadlineTimer = undefined
    this.#armedFor = Number.POSITIVE_INFINITY
    // A timer may fire up to a millisecond before the high-resolution clock reaches its deadline.
    const now = monotonicNow() + 1
    const expired: Call[] = []
    let next = Number.POSITIVE_INFINITY
    for (const pending of [this.#inFlight.values(), this.#queued.values()]) {
      for (const call of pending) {
        if (call.deadline <= now) expired.push(call)
        else if (call.deadline < next) next = call.deadline
      }
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next)
    for (const call of expired) {
      this.#settle(
        call,
        new TimeoutError(`${call.method} got no answer within ${call.timeoutMs} ms`, {
          method: call.method,
          data: { written: call.written },
        }),
      )
    }
  }

  #arm(deadline: number): void {
    if (deadline >= this.#armedFor) return
    this.#disarm()
    this.#armedFor = deadline
    this.#deadlineTimer = this.#timers.setTimeout(this.#onDeadline, Math.max(0, deadline - monotonicNow()))
  }

  #disarm(): void {
    if (this.#deadlineTimer !== undefined) this.#timers.clearTimeout(this.#deadlineTimer)
    this.#deadlineTimer = undefined
    this.#armedFor = Number.POSITIVE_INFINITY
  }

  #start(
    method: string,
    params: Record<string, unknown> | undefined,
    options: CallOptions,
    bypassLimiter: boolean,
    sink: CallSink,
  ): void {
    const signal = options.signal
    const timeoutMs = options.timeoutMs ?? this.#requestTimeoutMs
    const call: Call = {
      method,
      params,
      pinnedEpoch: options.epoch,
      signal,
      sink,
      deadline: monotonicNow() + timeoutMs,
      timeoutMs,
      id: 0,
      epoch: -1,
      written: false,
      settled: false,
      onAbort: undefined,
      queueAbort: undefined,
    }
    if (call.deadline < this.#armedFor) this.#arm(call.deadline)
    if (signal !== undefined) {
      call.onAbort = () =>
        this.#settle(call, new AbortError(`${method} was aborted`, { method, data: { written: call.written } }))
      signal.addEventListener('abort', call.onAbort, { once: true })
    }
    const limiter = this.#limiter
    if (limiter === undefined || bypassLimiter || limiter.tryAcquire(method)) {
      this.#write(call)
      return
    }
    const queueAbort = new AbortController()
    call.queueAbort = queueAbort
    this.#queued.add(call)
    limiter
      .schedule(method, () => this.#write(call), queueAbort.signal)
      .catch((error: unknown) => {
        this.#settle(call, error instanceof DeribitError ? error : new DeribitError('RPC_ERROR', describe(error)))
      })
  }

  /** Writes a call's frame if it is still wanted and the expected socket is open. */
  #write(call: Call): void {
    this.#queued.delete(call)
    call.queueAbort = undefined
    if (call.settled) return
    const socket = this.#socket
    if (socket.state !== 'open' || (call.pinnedEpoch !== undefined && socket.epoch !== call.pinnedEpoch)) {
      this.#settle(call, notConnected(call.method))
      return
    }
    const id = ++this.#lastId
    let text: string
    try {
      text = JSON.stringify({ jsonrpc: '2.0', id, method: call.method, params: call.params })
    } catch (cause) {
      const error = new DeribitError('INVALID_ARGUMENT', `${call.method} params cannot be serialised`, {
        method: call.method,
        cause,
      })
      this.#settle(call, error)
      return
    }
    const max = this.#maxRequestBytes
    if (text.length > max || (text.length * 3 > max && Buffer.byteLength(text, 'utf8') > max)) {
      this.#settle(call, new DeribitError('INVALID_ARGUMENT', `${call.method} request exceeds ${max} bytes`))
      return
    }
    call.id = id
    call.epoch = socket.epoch
    this.#inFlight.set(id, call)
    if (!socket.send(text)) {
      this.#inFlight.delete(id)
      this.#settle(call, notConnected(call.method))
      return
    }
    call.written = true
  }

  #onResponse(id: number | string | null, result: unknown, error: RpcErrorObject | undefined, epoch: number): void {
    const call = typeof id === 'number' ? this.#inFlight.get(id) : undefined
    if (call === undefined) {
      if (typeof id === 'number' && Number.isInteger(id) && id > 0 && id <= this.#lastId) {
        this.#logger.debug({ id }, 'ignored a late answer to a settled call')
      } else if (error !== undefined) {
        // E.g. -32600 for a frame too large, which Deribit sends without an id.
        this.#logger.warn({ id, code: error.code, message: error.message }, 'exchange error for no known call')
      } else {
        this.#logger.warn({ id }, 'dropped an answer with an unknown id')
      }
      return
    }
    if (call.epoch !== epoch) {
      this.#logger.warn({ id, epoch }, 'dropped an answer that arrived on another connection')
      return
    }
    if (error === undefined) {
      this.#settle(call, undefined, result)
      return
    }
    const mapped = errorFromExchange(call.method, error)
    if (mapped instanceof RateLimitedError) this.#limiter?.exhausted(call.method)
    this.#settle(call, mapped)
  }

  #answerTestRequest(epoch: number): void {
    // Never delayed (the exchange closes a connection that does not answer), but still counted:
    // the exchange charges it to the same pool the paced requests draw from.
    this.#limiter?.charge('public/test')
    this.#start('public/test', undefined, { epoch }, true, this.#testAnswer)
  }

  /** Settles a call exactly once and releases everything it holds. */
  #settle(call: Call, error: DeribitError | undefined, result?: unknown): void {
    if (call.settled) return
    call.settled = true
    if (call.onAbort !== undefined) {
      call.signal?.removeEventListener('abort', call.onAbort)
      call.onAbort = undefined
    }
    // Ids are never reused: the entry under a call's id, if any, is that call.
    if (call.id !== 0) this.#inFlight.delete(call.id)
    if (call.queueAbort !== undefined) {
      this.#queued.delete(call)
      const queueAbort = call.queueAbort
      call.queueAbort = undefined
      queueAbort.abort(error)
    }
    if (error === undefined) call.sink.resolve(result)
    else call.sink.reject(error)
    // Nothing left to time out: the timer goes, unless the caller's own continuation (which runs
    // first: its job was queued by the line above) makes the next call, as a caller that awaits
    // one call after another does. So such a caller does not set and clear a timer per call.
    if (this.#deadlineTimer !== undefined && this.#inFlight.size === 0 && this.#queued.size === 0) {
      void SETTLED.then(this.#disarmIfIdle)
    }
  }
}

/** Settled already: what `then` on it runs comes after the jobs queued before it. */
const SETTLED = Promise.resolve()

function notConnected(method: string): ConnectionClosedError {
  return new ConnectionClosedError(`${method} not sent: no open connection`, { method, notSent: true })
}

function closedError(written: boolean): DeribitError {
  return written
    ? new ConnectionClosedError('The connection closed before the answer came')
    : new ConnectionClosedError('The connection closed before the call was sent', { notSent: true })
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : typeof error
}
