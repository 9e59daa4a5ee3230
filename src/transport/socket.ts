import { type RawData, WebSocket as WsWebSocket } from 'ws'
import { ConnectionClosedError, DeribitError, ProtocolError } from '../errors.js'
import { type BackoffOptions, DEFAULT_BACKOFF, reconnectDelay } from './backoff.js'
import { ImmediateRws, type Rws } from './immediateRws.js'
import { type Logger, silentLogger } from './logger.js'
import {
  DEFAULT_SOCKET_OPTIONS,
  type SocketEvents,
  type SocketOptions,
  type SocketState,
  type WebSocketClass,
} from './socketOptions.js'
import { monotonicNow } from './timers.js'
import { TypedEmitter } from './typedEmitter.js'

/** How RWS constructs a socket. */
type RwsSocketClass = new (url: string, protocols?: string | string[]) => WsWebSocket

export * from './socketOptions.js'

/** One connection attempt: one RWS instance and the single ws it creates. */
interface Attempt {
  readonly rws: Rws
  ws: WsWebSocket | undefined
  opened: boolean
  ended: boolean
  epoch: number
  openedAtMs: number
  error: Error | undefined
  detach: () => void
}

const OPEN = 1
const CLOSED = 3

/**
 * A WebSocket that reconnects with capped, jittered backoff and never buffers or replays frames.
 * Each successful open starts a new `epoch`; every event carries it, so upper layers can tell a
 * late event of an old socket from one of the current socket.
 */
export class ReconnectingSocket extends TypedEmitter<SocketEvents> {
  #state: SocketState = 'idle'
  #epoch = 0
  #retry = 0
  #attempt: Attempt | undefined
  /** Cancels the reconnect waiting out its backoff delay; set only while one waits. */
  #cancelPendingConnect: (() => void) | undefined
  #closeTimer: ReturnType<typeof setTimeout> | undefined
  #closeWaiters: Array<() => void> = []
  #intentional = false
  readonly #url: string
  readonly #wsClass: RwsSocketClass
  readonly #backoff: BackoffOptions
  readonly #connectTimeoutMs: number
  readonly #closeTimeoutMs: number
  readonly #maxRetries: number
  readonly #stableAfterMs: number
  readonly #random: () => number
  readonly #logger: Logger
  readonly #onMessage: ((text: string, epoch: number) => void) | undefined

  constructor(options: SocketOptions) {
    const logger = options.logger ?? silentLogger
    super((error, event) => logger.error({ event, error: describe(error) }, 'socket event listener threw'))
    let parsed: URL
    try {
      parsed = new URL(options.url)
    } catch (cause) {
      throw new DeribitError('INVALID_ARGUMENT', 'Socket url is not a valid URL', { cause })
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new DeribitError('INVALID_ARGUMENT', `Socket url must use ws: or wss:, not ${parsed.protocol}`)
    }
    this.#url = options.url
    this.#logger = logger
    this.#onMessage = options.onMessage
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff }
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_SOCKET_OPTIONS.connectTimeoutMs
    this.#closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_SOCKET_OPTIONS.closeTimeoutMs
    this.#maxRetries = options.maxRetries ?? DEFAULT_SOCKET_OPTIONS.maxRetries
    this.#stableAfterMs = options.stableAfterMs ?? DEFAULT_SOCKET_OPTIONS.stableAfterMs
    this.#random = options.random ?? Math.random
    this.#wsClass = this.#injectedClass(
      options.WebSocket ?? WsWebSocket,
      options.maxPayloadBytes ?? DEFAULT_SOCKET_OPTIONS.maxPayloadBytes,
    )
  }

  /** Current lifecycle state. */
  get state(): SocketState {
    return this.#state
  }

  /** Number of successful opens so far; the id of the current (or last) socket. 0 before the first open. */
  get epoch(): number {
    return this.#epoch
  }

  /** Starts connecting. Idempotent; does nothing once closing or closed. */
  open(): void {
    if (this.#state !== 'idle') return
    this.#connect()
  }

  /**
   * Writes a text frame if, and only if, the current socket is open. Never buffers: returns
   * false (and writes nothing) otherwise.
   */
  send(text: string): boolean {
    const attempt = this.#attempt
    if (this.#state !== 'open' || attempt?.ws === undefined || attempt.ws.readyState !== OPEN) return false
    // Straight to the open socket: RWS's send would check the same state again and build a log line's arguments.
    attempt.ws.send(text)
    return true
  }

  /**
   * Terminates the current socket abruptly (no close handshake) and reconnects after the backoff
   * delay. For half-open detection. The `'close'` event fires synchronously. Returns false when
   * there was no socket to drop.
   */
  drop(reason = 'dropped'): boolean {
    const attempt = this.#attempt
    if (attempt === undefined || this.#intentional) return false
    this.#logger.info({ epoch: attempt.opened ? attempt.epoch : undefined, reason }, 'dropping socket')
    const ws = attempt.ws
    this.#end(attempt, 1006, reason)
    if (ws !== undefined) ws.terminate()
    else attempt.rws.close()
    return true
  }

  /**
   * While waiting out a backoff delay, connects at once (the retry count is kept). Returns false
   * when no reconnect was pending.
   */
  reconnectNow(): boolean {
    if (this.#cancelPendingConnect === undefined) return false
    this.#cancelPendingConnect()
    this.#cancelPendingConnect = undefined
    this.#connect()
    return true
  }

  /**
   * Closes for good: no reconnect follows. Resolves once the socket is closed; a peer that does not
   * finish the close handshake within `closeTimeoutMs` gets its socket terminated. Safe to call
   * repeatedly.
   */
  close(code = 1000, reason = ''): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve()
    const done = new Promise<void>((resolve) => this.#closeWaiters.push(resolve))
    if (this.#intentional) return done
    this.#intentional = true
    this.#cancelPendingConnect?.()
    this.#cancelPendingConnect = undefined
    const attempt = this.#attempt
    if (attempt === undefined) {
      this.#finishClose(undefined)
      return done
    }
    this.#setState('closing')
    const ws = attempt.ws
    if (ws === undefined) {
      // RWS has not created its socket yet (it defers creation to a later microtask); close()
      // makes it skip the creation. Settle a tick later, after that deferred step has run.
      attempt.rws.close()
      this.#end(attempt, 1000, reason)
      return done
    }
    try {
      attempt.rws.close(code, reason)
    } catch {
      // ws rejects invalid close codes and over-long reasons; closing matters more than the code.
      ws.terminate()
    }
    this.#closeTimer = setTimeout(() => {
      this.#closeTimer = undefined
      this.#logger.warn({ closeTimeoutMs: this.#closeTimeoutMs }, 'close handshake timed out; terminating socket')
      ws.terminate()
    }, this.#closeTimeoutMs)
    return done
  }

  /** Starts one connection attempt with a fresh RWS that will not retry on its own. */
  #connect(): void {
    const rws = new ImmediateRws(this.#url, [], {
      WebSocket: this.#wsClass,
      maxEnqueuedMessages: 0,
      maxRetries: 0,
      connectionTimeout: this.#connectTimeoutMs,
      minUptime: 0,
      startClosed: false,
    })
    rws.binaryType = 'arraybuffer'
    const attempt: Attempt = {
      rws,
      ws: undefined,
      opened: false,
      ended: false,
      epoch: 0,
      openedAtMs: 0,
      error: undefined,
      detach: () => {},
    }
    const onOpen = (): void => this.#onOpen(attempt)
    const onClose = (event: { code: number; reason: string }): void => this.#onClose(attempt, event)
    rws.addEventListener('open', onOpen)
    rws.addEventListener('close', onClose)
    attempt.detach = () => {
      rws.removeEventListener('open', onOpen)
      rws.removeEventListener('close', onClose)
    }
    this.#attempt = attempt
    // After the attempt exists, so a close() from a 'state' listener can stop it.
    this.#setState('connecting')
  }

  /**
   * Subclasses the ws class so that every socket (a) gets `maxPayload`, which RWS cannot pass,
   * (b) reports itself to its attempt, (c) always has an `'error'` listener: RWS detaches its
   * own listeners before aborting a timed-out handshake, and ws would then throw the abort error
   * as an unhandled `'error'`, and (d) delivers frames from its own `'message'` event, ignoring
   * RWS's `addEventListener('message')` (see the note at the top).
   */
  #injectedClass(Base: WebSocketClass, maxPayload: number): RwsSocketClass {
    const owner = this
    return class InjectedWebSocket extends Base {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { maxPayload })
        this.on('error', (error: Error) => owner.#onRawError(this, error))
        this.on('message', (data: RawData, isBinary: boolean) => owner.#onRawMessage(this, data, isBinary))
        owner.#onRawCreated(this)
      }

      override addEventListener(...args: Parameters<WsWebSocket['addEventListener']>): void {
        if (args[0] === 'message') return
        super.addEventListener(...args)
      }
    }
  }

  #onRawCreated(ws: WsWebSocket): void {
    const attempt = this.#attempt
    if (attempt !== undefined && attempt.ws === undefined && !attempt.ended) attempt.ws = ws
    else ws.terminate()
  }

  #onRawError(ws: WsWebSocket, error: Error): void {
    const attempt = this.#attempt
    if (attempt === undefined || attempt.ws !== ws || attempt.ended || this.#intentional) {
      this.#logger.debug({ message: error.message }, 'error on a socket being discarded')
      return
    }
    attempt.error ??= error
    const oversized = (error as { code?: unknown }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
    const wrapped = oversized
      ? new ProtocolError('A frame exceeded maxPayloadBytes; the socket was closed', { cause: error })
      : new ConnectionClosedError(`WebSocket error: ${error.message}`, { cause: error })
    this.#logger.warn({ message: error.message, epoch: attempt.opened ? attempt.epoch : undefined }, 'socket error')
    this.emit('error', wrapped)
  }

  #onOpen(attempt: Attempt): void {
    if (attempt !== this.#attempt || attempt.ended || this.#intentional) return
    this.#epoch += 1
    attempt.opened = true
    attempt.epoch = this.#epoch
    attempt.openedAtMs = monotonicNow()
    this.#logger.info({ epoch: attempt.epoch }, 'socket open')
    this.#setState('open')
    this.emit('open', attempt.epoch)
  }

  /** HOT PATH: one frame from ws; only the current attempt's socket, between open and end, is heard. */
  #onRawMessage(ws: WsWebSocket, data: RawData, isBinary: boolean): void {
    const attempt = this.#attempt
    if (attempt === undefined || attempt.ws !== ws || attempt.ended || !attempt.opened) return
    // ws hands a text frame over as a Buffer of (already validated) UTF-8; toString() without an
    // encoding argument is the shortest path to the decoder.
    const text = isBinary || !Buffer.isBuffer(data) ? decodeBinary(data) : data.toString()
    if (text === undefined) return
    const onMessage = this.#onMessage
    if (onMessage === undefined) {
      this.emit('message', text, attempt.epoch)
      return
    }
    try {
      onMessage(text, attempt.epoch)
    } catch (error) {
      this.#logger.error({ message: describe(error) }, 'onMessage threw')
    }
  }

  #onClose(attempt: Attempt, event: { code: number; reason: string }): void {
    if (attempt.ended) return
    const error = attempt.error
    let code = event.code
    let reason = event.reason ?? ''
    if (error !== undefined) {
      // RWS reports a synthetic 1000 after an error; report what actually happened.
      code = (error as { code?: unknown }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 1009 : 1006
      reason = error.message
    } else if (!attempt.opened) {
      code = 1006
      if (reason === 'timeout' && !this.#intentional) {
        this.emit('error', new ConnectionClosedError(`Connect timed out after ${this.#connectTimeoutMs} ms`))
      }
    }
    this.#end(attempt, code, reason)
  }

  /** The single place an attempt ends: emits `'close'` (once), then reconnects or finishes closing. */
  #end(attempt: Attempt, code: number, reason: string): void {
    if (attempt.ended) return
    attempt.ended = true
    attempt.detach()
    if (this.#attempt === attempt) this.#attempt = undefined
    const intentional = this.#intentional
    if (attempt.opened && monotonicNow() - attempt.openedAtMs >= this.#stableAfterMs) this.#retry = 0
    const willReconnect = !intentional && this.#retry < this.#maxRetries
    if (attempt.opened) {
      this.#logger.info({ epoch: attempt.epoch, code, reason, intentional, willReconnect }, 'socket closed')
      this.emit('close', { epoch: attempt.epoch, code, reason, intentional, willReconnect })
    }
    // Listeners may have called close(); it then found no attempt and finished on its own.
    if (this.#intentional) {
      if (this.#state !== 'closed') this.#finishClose(attempt)
      return
    }
    if (!willReconnect) {
      this.#setState('closed')
      this.#logger.warn({ retries: this.#retry }, 'giving up reconnecting')
      this.emit('error', new ConnectionClosedError(`Gave up after ${this.#retry} reconnect attempts`))
      return
    }
    const retry = this.#retry
    this.#retry += 1
    const delayMs = reconnectDelay(retry, this.#backoff, this.#random)
    this.#logger.debug({ attempt: retry, delayMs }, 'reconnecting')
    // The timer exists before any listener runs, so a close() from a listener can cancel it. A
    // zero-delay reconnect after a socket that had opened waits for no timer (setTimeout(0) is at
    // least 1 ms), only for this turn's I/O, even when drops come closer than `stableAfterMs`
    // (each cycle still costs a full handshake); after an attempt that never opened it keeps
    // that 1 ms, so a server refusing connections is not hammered as fast as refusals come back.
    const connect = (): void => {
      this.#cancelPendingConnect = undefined
      this.#connect()
    }
    if (delayMs > 0 || !attempt.opened) {
      const timer = setTimeout(connect, delayMs)
      this.#cancelPendingConnect = () => clearTimeout(timer)
    } else {
      const immediate = setImmediate(connect)
      this.#cancelPendingConnect = () => clearImmediate(immediate)
    }
    this.#setState('connecting')
    this.emit('reconnecting', { attempt: retry, delayMs })
  }

  /** Resolves `close()` once the last socket is really gone, so no handle outlives it. */
  #finishClose(attempt: Attempt | undefined): void {
    const settle = (): void => {
      if (this.#closeTimer !== undefined) {
        clearTimeout(this.#closeTimer)
        this.#closeTimer = undefined
      }
      this.#setState('closed')
      const waiters = this.#closeWaiters
      this.#closeWaiters = []
      for (const resolve of waiters) resolve()
    }
    const ws = attempt?.ws
    if (attempt === undefined) settle()
    else if (ws === undefined) setTimeout(settle, 1)
    else if (ws.readyState === CLOSED) settle()
    else ws.once('close', settle)
  }

  #setState(state: SocketState): void {
    if (this.#state === state) return
    this.#state = state
    this.emit('state', state)
  }
}

function decodeBinary(data: unknown): string | undefined {
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8')
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')
  if (Array.isArray(data) && data.every((part) => Buffer.isBuffer(part))) return Buffer.concat(data).toString('utf8')
  return undefined
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : typeof error
}
