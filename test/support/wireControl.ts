/**
 * Client-side control over the answers a client receives, for overlap scenarios: a `ws` class
 * (passed as the client's `WebSocket` option, so side connections use it too) that remembers the
 * method of every request it writes and can hold the answers to some methods back, lose them, or
 * cut the socket right after a request was written. The exchange has acted by then: only the
 * answer is late or gone, which is exactly the "did my order go through?" case.
 */
import WebSocket from 'ws'

/** Which requests a rule applies to: a method name, or a test on the method and the request's params. */
export type RequestMatch = string | ((method: string, params: Record<string, unknown>) => boolean)

/** How an answer is held: delivered `ms` later, or never (`'lost'`). */
export interface HoldRule {
  match: RequestMatch
  /** Delay in ms, or `'lost'` to drop the answer. */
  hold: number | 'lost'
  /** How many requests the rule applies to. @default Infinity */
  count?: number
}

/** A request written by the client, as the control saw it. */
export interface SentRequest {
  method: string
  params: Record<string, unknown>
  id: unknown
  at: number
}

/** The control and its `WebSocket` class. */
export interface WireControl {
  readonly WebSocket: typeof WebSocket
  /** Holds the answers of matching requests; returns a function that removes the rule. */
  hold(rule: HoldRule): () => void
  /** Terminates the socket (no close frame) right after the next matching request is written. */
  cutAfter(match: RequestMatch): void
  /** Resolves with the next matching request once it is written; rejects if none is within `timeoutMs`. */
  sent(match: RequestMatch, timeoutMs?: number): Promise<SentRequest>
  /** The last {@link MAX_KEPT} requests written. */
  readonly requests: readonly SentRequest[]
  /**
   * True when `text` is a `public/auth` frame a socket of this control wrote: a sign-in's text is
   * unique, so this is how a test tells this client's connections from others' in a server log.
   */
  wroteAuth(text: string): boolean
  /** Removes every rule; answers already held stay held until their time. */
  clear(): void
  /** Cancels the pending delayed deliveries (call at the end of a test). */
  dispose(): void
}

/** How many written requests the control remembers. */
export const MAX_KEPT = 200

function matches(match: RequestMatch, method: string, params: Record<string, unknown>): boolean {
  return typeof match === 'string' ? match === method : match(method, params)
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text) as unknown
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

/** A fresh control; each test makes its own. */
export function wireControl(): WireControl {
  const rules: Array<HoldRule & { left: number }> = []
  const cuts: RequestMatch[] = []
  const waiters: Array<{ match: RequestMatch; timer: NodeJS.Timeout; resolve: (r: SentRequest) => void }> = []
  const requests: SentRequest[] = []
  const timers = new Set<NodeJS.Timeout>()
  // Per socket: request id -> how its answer is held.
  const heldIds = new WeakMap<object, Map<unknown, number | 'lost'>>()

  const authFrames = new Set<string>()
  const onSent = (socket: WebSocket, data: unknown): void => {
    const frame = parse(String(data))
    // A sign-in carries a nonce or a token: its text is this client's alone.
    if (frame?.method === 'public/auth') authFrames.add(String(data))
    if (frame === undefined || typeof frame.method !== 'string') return
    const method = frame.method
    const params = (frame.params ?? {}) as Record<string, unknown>
    const request: SentRequest = { method, params, id: frame.id, at: Date.now() }
    requests.push(request)
    // Bounded, so memory measurements of the client are not the control's.
    if (requests.length > MAX_KEPT) requests.splice(0, requests.length - MAX_KEPT)
    const rule = rules.find((r) => r.left > 0 && matches(r.match, method, params))
    if (rule !== undefined) {
      rule.left--
      let ids = heldIds.get(socket)
      if (ids === undefined) {
        ids = new Map()
        heldIds.set(socket, ids)
      }
      ids.set(frame.id, rule.hold)
    }
    for (const w of waiters.filter((w) => matches(w.match, method, params))) {
      waiters.splice(waiters.indexOf(w), 1)
      w.resolve(request)
    }
    const cut = cuts.findIndex((m) => matches(m, method, params))
    if (cut >= 0) {
      cuts.splice(cut, 1)
      socket.terminate()
    }
  }

  class Controlled extends WebSocket {
    override emit(event: string | symbol, ...args: unknown[]): boolean {
      if (event !== 'message') return super.emit(event, ...args)
      const ids = heldIds.get(this)
      if (ids === undefined || ids.size === 0) return super.emit(event, ...args)
      const frame = parse(String(args[0]))
      if (frame === undefined || frame.method !== undefined || !ids.has(frame.id)) return super.emit(event, ...args)
      const hold = ids.get(frame.id) as number | 'lost'
      ids.delete(frame.id)
      if (hold === 'lost') return true
      const timer = setTimeout(() => {
        timers.delete(timer)
        super.emit(event, ...args)
      }, hold)
      timers.add(timer)
      return true
    }
  }
  const send = WebSocket.prototype.send
  Controlled.prototype.send = function (this: WebSocket, ...args: Parameters<typeof send>) {
    send.apply(this, args)
    onSent(this, args[0])
  } as typeof send

  return {
    WebSocket: Controlled,
    hold(rule) {
      const entry = { ...rule, left: rule.count ?? Number.POSITIVE_INFINITY }
      rules.push(entry)
      return () => {
        const i = rules.indexOf(entry)
        if (i >= 0) rules.splice(i, 1)
      }
    },
    cutAfter(match) {
      cuts.push(match)
    },
    sent(match, timeoutMs = 3000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1)
          reject(new Error(`no matching request was written within ${timeoutMs} ms`))
        }, timeoutMs)
        const waiter = {
          match,
          timer,
          resolve: (request: SentRequest) => {
            clearTimeout(timer)
            resolve(request)
          },
        }
        waiters.push(waiter)
      })
    },
    get requests() {
      return requests
    },
    wroteAuth: (text) => authFrames.has(text),
    clear() {
      rules.length = 0
      cuts.length = 0
    },
    dispose() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      rules.length = 0
      cuts.length = 0
      // Unanswered waits are left pending (their tests are over), but hold no timer.
      for (const w of waiters) clearTimeout(w.timer)
      waiters.length = 0
    },
  }
}

/** Matches `public/auth` requests of one grant type. */
export function authGrant(grant: 'refresh_token' | 'client_signature' | 'client_credentials'): RequestMatch {
  return (method, params) => method === 'public/auth' && params.grant_type === grant
}
