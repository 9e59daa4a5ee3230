import type { IncomingMessage, ServerResponse } from 'node:http'
import { JSONRPC_ERRORS, MAX_REQUEST_BYTES } from '../protocol/errorCodes.js'
import { httpSignature } from '../protocol/signature.js'
import type { RpcErrorObject } from '../protocol/types.js'
import { SIGNATURE_WINDOW_MS } from './authMethods.js'
import type { Dispatcher } from './dispatcher.js'
import { type EchoId, encodeError, encodeResult } from './envelope.js'
import type { RateLimiter } from './rateLimiter.js'
import { arrayParamsOf } from './requestValidation.js'
import type { CallAuth, ServerDeps } from './serverMethod.js'

/** Prefix of HTTP method paths: `/api/v2/{public|private}/{name}`. */
export const HTTP_API_PREFIX = '/api/v2/'

/**
 * A query value stays a string: the request validation turns it into the number or boolean the
 * method's spec asks for, so `nonce=123` or `label=true` keep their text. Lists and objects can be
 * given as JSON.
 */
function queryValue(raw: string): unknown {
  if (raw.startsWith('[') || raw.startsWith('{')) {
    try {
      return JSON.parse(raw)
    } catch {
      return raw
    }
  }
  return raw
}

/**
 * GET query string → params: strings, and JSON for lists and objects; arrays as repeated keys
 * (`a=1&a=2`, `a[]=1`) or JSON. A single plain value of a param that `lists` names (the method's
 * array params) is a one-item list: `ids=x` is how a query string carries `["x"]`.
 */
export function paramsFromQuery(
  search: URLSearchParams,
  lists: ReadonlySet<string> = new Set(),
): Record<string, unknown> {
  const entries: Array<[string, unknown]> = []
  for (const rawKey of new Set(search.keys())) {
    const key = rawKey.endsWith('[]') ? rawKey.slice(0, -2) : rawKey
    const values = search.getAll(rawKey).map(queryValue)
    const list = values.length > 1 || rawKey.endsWith('[]') || (lists.has(key) && !Array.isArray(values[0]))
    entries.push([key, list ? values : values[0]])
  }
  // fromEntries defines own properties: `?__proto__={...}` must not become the params' prototype.
  return Object.fromEntries(entries)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Serves the JSON-RPC methods over HTTP GET and POST. */
export class HttpApi {
  constructor(
    private readonly deps: ServerDeps,
    private readonly dispatcher: Dispatcher,
    private readonly limiter: RateLimiter | undefined,
  ) {}

  handle(req: IncomingMessage, res: ServerResponse): void {
    const usIn = this.deps.clock.nowUs()
    let size = 0
    const chunks: Buffer[] = []
    let tooLarge = false
    req.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_REQUEST_BYTES) tooLarge = true
      else chunks.push(chunk)
    })
    req.on('error', () => {})
    req.on('end', () => {
      this.#respond(req, res, usIn, tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')).catch((err) => {
        const reason = err instanceof Error ? err.message : String(err)
        this.#send(
          res,
          500,
          encodeError(null, { code: 11094, message: 'internal_server_error', data: { reason } }, this.#t(usIn)),
        )
      })
    })
  }

  #t(usIn: number) {
    return { usIn, usOut: this.deps.clock.nowUs() }
  }

  #send(res: ServerResponse, status: number, body: string): void {
    if (res.headersSent) return
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    res.end(body)
  }

  #fail(res: ServerResponse, status: number, id: EchoId, error: RpcErrorObject, usIn: number): void {
    this.#send(res, status, encodeError(id, error, this.#t(usIn)))
  }

  async #respond(req: IncomingMessage, res: ServerResponse, usIn: number, body: string | undefined): Promise<void> {
    if (body === undefined) return this.#fail(res, 413, undefined, { ...JSONRPC_ERRORS.entityTooLarge }, usIn)
    let url: URL
    try {
      url = new URL(req.url ?? '/', 'http://simulator.invalid')
    } catch {
      // An absolute-form target that is not a URL (`GET http://[ HTTP/1.1`): the client's mistake, not a 500.
      return this.#fail(res, 400, null, { code: 11050, message: 'bad_request' }, usIn)
    }
    // `/api/v2` itself (with or without the slash) takes a JSON-RPC body naming the method.
    const atRoot = url.pathname === HTTP_API_PREFIX.slice(0, -1)
    if (!url.pathname.startsWith(HTTP_API_PREFIX) && !atRoot) {
      return this.#fail(res, 404, null, { ...JSONRPC_ERRORS.methodNotFound }, usIn)
    }
    let method = atRoot ? '' : url.pathname.slice(HTTP_API_PREFIX.length)
    let params = paramsFromQuery(url.searchParams, arrayParamsOf(method))
    let id: EchoId
    if (req.method === 'POST' && body.trim() !== '') {
      let value: unknown
      try {
        value = JSON.parse(body)
      } catch {
        return this.#fail(res, 400, null, { ...JSONRPC_ERRORS.parseError }, usIn)
      }
      if (!isRecord(value)) return this.#fail(res, 400, null, { code: 11050, message: 'bad_request' }, usIn)
      if (typeof value.id === 'number' || typeof value.id === 'string') id = value.id
      if (typeof value.method === 'string' && method === '') method = value.method
      if (value.params !== undefined) {
        if (!isRecord(value.params)) {
          return this.#fail(
            res,
            400,
            id,
            { ...JSONRPC_ERRORS.invalidParams, data: { reason: 'must be an object', param: 'params' } },
            usIn,
          )
        }
        params = value.params
      }
    } else if (req.method !== 'GET' && req.method !== 'POST') {
      return this.#fail(res, 405, null, { code: 11050, message: 'bad_request' }, usIn)
    }
    const httpAuth = this.#credentials(req, body)
    if (this.limiter !== undefined) {
      const payer = httpAuth !== undefined ? `account:${httpAuth.accountId}` : `http:${req.socket.remoteAddress ?? ''}`
      if (!this.limiter.charge(payer, method)) {
        this.deps.stats.rateLimited++
        return this.#fail(res, 429, id, { code: 10028, message: 'too_many_requests' }, usIn)
      }
    }
    const outcome = await this.dispatcher.dispatch(
      { method, params },
      { conn: undefined, presenter: { transport: 'http' }, httpAuth },
    )
    if (outcome.kind === 'result') return this.#send(res, 200, encodeResult(id, outcome.result, this.#t(usIn)))
    if (outcome.kind === 'error') return this.#fail(res, 400, id, outcome.error, usIn)
    // Only logout answers nothing, and it is WebSocket-only, so this is not reached; answer anyway.
    return this.#fail(res, 400, id, { code: 10030, message: 'must_be_websocket_request' }, usIn)
  }

  /** Credentials of the `Authorization` header; undefined when absent or invalid (private calls then get 13009). */
  #credentials(req: IncomingMessage, body: string): CallAuth | undefined {
    const header = req.headers.authorization
    if (header === undefined) return undefined
    const space = header.indexOf(' ')
    const scheme = header.slice(0, space).toLowerCase()
    const value = header.slice(space + 1).trim()
    try {
      if (scheme === 'bearer') {
        const { session, scope } = this.deps.sessions.checkAccess(value, { transport: 'http' })
        return { accountId: session.accountId, session, scope }
      }
      if (scheme === 'basic') {
        const decoded = Buffer.from(value, 'base64').toString('utf8')
        const colon = decoded.indexOf(':')
        const key = this.deps.accounts.key(decoded.slice(0, colon))
        if (colon < 0 || key === undefined || key.clientSecret !== decoded.slice(colon + 1)) return undefined
        return { accountId: key.accountId, session: undefined, scope: key.maxScope }
      }
      if (scheme === 'deri-hmac-sha256') {
        const fields = new Map(
          value.split(',').map((kv) => {
            const eq = kv.indexOf('=')
            return [kv.slice(0, eq).trim(), kv.slice(eq + 1).trim()] as const
          }),
        )
        const key = this.deps.accounts.key(fields.get('id') ?? '')
        const ts = Number(fields.get('ts'))
        const nonce = fields.get('nonce') ?? ''
        const sig = fields.get('sig') ?? ''
        if (key === undefined || !Number.isFinite(ts)) return undefined
        const expected = httpSignature(key.clientSecret, ts, nonce, req.method ?? 'GET', req.url ?? '', body)
        if (sig !== expected) return undefined
        if (Math.abs(this.deps.clock.nowMs() - ts) > SIGNATURE_WINDOW_MS) return undefined
        if (!this.deps.sessions.useNonce(key.clientId, nonce)) return undefined
        return { accountId: key.accountId, session: undefined, scope: key.maxScope }
      }
    } catch {
      return undefined
    }
    return undefined
  }
}
