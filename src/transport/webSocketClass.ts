/**
 * What the client uses of one socket made by a {@link WebSocketClass}: the `ws` package's API
 * (its Node-style `on`, `terminate()`), not the browser's.
 */
export interface WebSocketInstance {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  terminate(): void
  on(event: string, listener: (...args: never[]) => void): unknown
}

/**
 * The `WebSocket` option: `ws`'s `WebSocket` class (the default) or a subclass of it, e.g. one
 * that adds proxy or TLS options. Written out here rather than taken from `ws`'s types, so the
 * package's type declarations compile without `@types/ws`; `ws`'s class fits it as it is.
 *
 * @example
 * ```ts
 * import WebSocket from 'ws'
 * class ProxiedWebSocket extends WebSocket {
 *   constructor(url: string, protocols?: string | string[], options?: WebSocket.ClientOptions) {
 *     super(url, protocols, { ...options, agent: myProxyAgent })
 *   }
 * }
 * new DeribitClient({ testnet: true, WebSocket: ProxiedWebSocket })
 * ```
 */
export type WebSocketClass = new (
  url: string,
  protocols?: string | string[],
  options?: { maxPayload?: number },
) => WebSocketInstance
