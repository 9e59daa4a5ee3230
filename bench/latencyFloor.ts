/**
 * The latency section's floor: a bare `ws` client doing exactly each transition's minimum
 * sequence (bench/README.md's table) through the same proxy, to the same exchange thread, in
 * the bench's own thread as the SDK runs. What it takes is the minimum made real on this path:
 * the round trips, plus what no client can skip (the WebSocket upgrade's own work, the
 * exchange taking 10,000 subscriptions, the proxy's timer), so the SDK's time over it is the
 * SDK's own cost. Nothing here retries, paces or tracks state: it would be a bot's first draft.
 */
import WebSocket from 'ws'
import { MAX_REQUEST_BYTES } from '../src/protocol/errorCodes.js'
import { wsSignature } from '../src/protocol/signature.js'

type Params = Record<string, unknown>

/** One socket that sends JSON-RPC requests and settles them by id; notifications are parsed and dropped. */
export class BareSocket {
  readonly #ws: WebSocket
  readonly #pending = new Map<number, { method: string; resolve: (r: unknown) => void; reject: (e: Error) => void }>()
  #nextId = 1
  /** Settles when the socket closes (the exchange dropped it). */
  readonly closed: Promise<void>

  private constructor(ws: WebSocket) {
    this.#ws = ws
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: { message: string } }
      if (typeof frame.id !== 'number') return
      const waiter = this.#pending.get(frame.id)
      this.#pending.delete(frame.id)
      if (frame.error !== undefined) waiter?.reject(new Error(`${waiter?.method}: ${frame.error.message}`))
      else waiter?.resolve(frame.result)
    })
    this.closed = new Promise((resolve) => ws.once('close', () => resolve()))
  }

  /** Opens a socket to `url`. */
  static open(url: string): Promise<BareSocket> {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new BareSocket(ws)))
      ws.once('error', reject)
    })
  }

  /** Writes one request now; resolves with its result. */
  call(method: string, params: Params = {}): Promise<unknown> {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { method, resolve, reject })
      this.#ws.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  /** Subscribes `channels` in as few requests as the 32 kB frame limit allows, all written now. */
  subscribe(channels: readonly string[]): Promise<unknown[]> {
    // The envelope around the array, with room for an id of up to 9 digits.
    const envelope = JSON.stringify({ jsonrpc: '2.0', id: 999_999_999, method: 'private/subscribe', params: {} })
    const room = MAX_REQUEST_BYTES - envelope.length - '"channels":'.length
    const requests: Promise<unknown>[] = []
    let batch: string[] = []
    let bytes = 2
    for (const c of channels) {
      if (bytes + c.length + 3 > room) {
        requests.push(this.call('private/subscribe', { channels: batch }))
        batch = []
        bytes = 2
      }
      batch.push(c)
      bytes += c.length + 3
    }
    if (batch.length > 0) requests.push(this.call('private/subscribe', { channels: batch }))
    return Promise.all(requests)
  }

  terminate(): void {
    this.#ws.terminate()
  }
}

/** An API key. */
export interface FloorKey {
  clientId: string
  clientSecret: string
}

/** Tokens of one session, as `public/auth` and the token operations answer them. */
interface Tokens {
  refresh_token: string
}

function signatureAuth(key: FloorKey, sessionName: string): Params {
  const timestamp = Date.now()
  const nonce = Math.random().toString(36).slice(2)
  return {
    grant_type: 'client_signature',
    client_id: key.clientId,
    timestamp,
    nonce,
    data: '',
    signature: wsSignature(key.clientSecret, timestamp, nonce, ''),
    scope: `session:${sessionName}`,
  }
}

const refreshAuth = (tokens: Tokens): Params => ({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })

/**
 * Cold connect: upgrade → heartbeat + signature auth + account summary → subscribe + open
 * orders + cancel-on-disconnect. Resolves with the socket and its tokens once all answered.
 */
export async function floorConnect(
  url: string,
  key: FloorKey,
  sessionName: string,
  channels: readonly string[],
): Promise<{ socket: BareSocket; tokens: Tokens }> {
  const socket = await BareSocket.open(url)
  const heartbeat = socket.call('public/set_heartbeat', { interval: 10 })
  const auth = socket.call('public/auth', signatureAuth(key, sessionName)) as Promise<Tokens>
  const summary = socket.call('private/get_account_summary', { currency: 'BTC' })
  const [tokens] = await Promise.all([auth, summary, heartbeat])
  await Promise.all([
    socket.subscribe(channels),
    socket.call('private/get_open_orders'),
    socket.call('private/enable_cancel_on_disconnect', { scope: 'connection' }),
  ])
  return { socket, tokens }
}

/**
 * Reconnect after a drop: waits for `socket` to close, then upgrade → heartbeat + refresh auth +
 * every subscribe frame + open orders. Resolves with the new socket, its tokens and when it was
 * ready (wall clock, ms).
 */
export async function floorReconnect(
  socket: BareSocket,
  url: string,
  tokens: Tokens,
  channels: readonly string[],
  now: () => number,
): Promise<{ socket: BareSocket; tokens: Tokens; readyAt: number }> {
  await socket.closed
  const next = await BareSocket.open(url)
  const heartbeat = next.call('public/set_heartbeat', { interval: 10 })
  const auth = next.call('public/auth', refreshAuth(tokens)) as Promise<Tokens>
  const [fresh] = await Promise.all([auth, heartbeat, next.subscribe(channels), next.call('private/get_open_orders')])
  return { socket: next, tokens: fresh, readyAt: now() }
}

/** Refresh: one `public/auth` with the refresh token. */
export async function floorRefresh(socket: BareSocket, tokens: Tokens): Promise<Tokens> {
  return (await socket.call('public/auth', refreshAuth(tokens))) as Tokens
}

/** Exchange to `subjectId`: exchange_token → auth → subscribe + open orders. */
export async function floorExchange(
  socket: BareSocket,
  tokens: Tokens,
  subjectId: number,
  privateChannels: readonly string[],
): Promise<Tokens> {
  const exchanged = (await socket.call('public/exchange_token', {
    refresh_token: tokens.refresh_token,
    subject_id: subjectId,
  })) as Tokens
  // The rest is a switch to the tokens it got.
  return floorSwitch(socket, exchanged, privateChannels)
}

/** Switch back to a held session: auth with its refresh token → subscribe + open orders. */
export async function floorSwitch(
  socket: BareSocket,
  held: Tokens,
  privateChannels: readonly string[],
): Promise<Tokens> {
  const signedIn = (await socket.call('public/auth', refreshAuth(held))) as Tokens
  await Promise.all([socket.subscribe(privateChannels), socket.call('private/get_open_orders')])
  return signedIn
}

/** Fork into `sessionName`: fork_token → auth + subscribe + open orders in one flight. */
export async function floorFork(
  socket: BareSocket,
  tokens: Tokens,
  sessionName: string,
  privateChannels: readonly string[],
): Promise<Tokens> {
  const forked = (await socket.call('public/fork_token', {
    refresh_token: tokens.refresh_token,
    session_name: sessionName,
  })) as Tokens
  const [signedIn] = await Promise.all([
    socket.call('public/auth', refreshAuth(forked)) as Promise<Tokens>,
    socket.subscribe(privateChannels),
    socket.call('private/get_open_orders'),
  ])
  return signedIn
}
