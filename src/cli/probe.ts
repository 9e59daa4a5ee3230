import WebSocket from 'ws'

/**
 * Opens a WebSocket to `url` and closes it at once, to tell "cannot reach" apart from anything
 * else before a reconnecting client starts backing off against a URL that will never answer.
 * Resolves when the handshake succeeds; rejects with a one-line reason (refused, unknown host,
 * HTTP status, TLS, timeout) otherwise.
 *
 * @example
 * await probeWebSocket('wss://test.deribit.com/ws/api/v2', 5000)
 */
export function probeWebSocket(url: string, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = new WebSocket(url, { handshakeTimeout: timeoutMs })
    let settled = false
    const finish = (error?: Error) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.removeAllListeners()
      // A late 'error' from terminate() must not become an uncaught exception.
      socket.on('error', () => {})
      socket.terminate()
      if (error) reject(error)
      else resolve()
    }
    const timer = setTimeout(() => finish(new Error(`no WebSocket handshake within ${timeoutMs} ms`)), timeoutMs)
    socket.once('open', () => finish())
    socket.once('unexpected-response', (_request, response) =>
      finish(new Error(`the server answered HTTP ${response.statusCode} instead of a WebSocket handshake`)),
    )
    socket.once('error', (error: NodeJS.ErrnoException) => finish(new Error(describeSocketError(error))))
  })
}

function describeSocketError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused (nothing listens there)'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host'
    case 'ECONNRESET':
      return 'connection reset'
    case 'ETIMEDOUT':
      return 'connection timed out'
    default:
      return error.code ? `${error.message} (${error.code})` : error.message
  }
}
