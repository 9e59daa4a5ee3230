import WebSocket from 'ws'
import { ConnectionClosedError, TimeoutError } from '../errors.js'
import { RpcClient } from '../rpc/rpcClient.js'
import type { Logger } from '../transport/logger.js'
import type { RpcCaller } from './rpcCaller.js'

/** Where and how to open a side connection. */
export interface SideConnectionOptions {
  url: string
  WebSocket: typeof WebSocket
  timeoutMs: number
  maxPayloadBytes: number
  logger: Logger
  /** Ends the side connection at once (the client closed). */
  signal?: AbortSignal
}

/**
 * Runs `work` over a short-lived second socket, then closes it. Used for what must not touch
 * the main connection's identity: refreshing a held (non-active) session, and logging one out
 * (`private/logout` closes the socket it arrives on). Connection close does not invalidate
 * session-scoped tokens, so closing this socket leaves the session usable.
 */
export async function withSideConnection<T>(
  options: SideConnectionOptions,
  work: (rpc: RpcCaller, closed: Promise<void>) => Promise<T>,
): Promise<T> {
  if (options.signal?.aborted) throw new ConnectionClosedError('Client closed', { notSent: true })
  const ws = new options.WebSocket(options.url, { maxPayload: options.maxPayloadBytes })
  const onAbort = () => ws.terminate()
  options.signal?.addEventListener('abort', onAbort, { once: true })
  const socket = {
    epoch: 1,
    get state() {
      return ws.readyState === WebSocket.OPEN ? 'open' : 'closed'
    },
    send(text: string) {
      if (ws.readyState !== WebSocket.OPEN) return false
      ws.send(text)
      return true
    },
  }
  const rpc = new RpcClient({
    socket,
    requestTimeoutMs: options.timeoutMs,
    logger: options.logger,
    maxPayloadBytes: options.maxPayloadBytes,
    onNotification: () => {},
  })
  const closed = new Promise<void>((resolve) => {
    ws.once('close', () => {
      rpc.failPending(1, () => new ConnectionClosedError('Side connection closed'))
      resolve()
    })
  })
  ws.on('message', (data) => rpc.handleMessage(String(data), 1))
  ws.on('error', (error) => options.logger.debug({ error: error.message }, 'side connection error'))
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TimeoutError('Side connection did not open in time')),
        options.timeoutMs,
      )
      ws.once('open', () => {
        clearTimeout(timer)
        resolve()
      })
      ws.once('close', () => {
        clearTimeout(timer)
        reject(new ConnectionClosedError('Side connection closed before it opened', { notSent: true }))
      })
    })
    return await work(rpc, closed)
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate()
    await closed
  }
}
