/**
 * The one seam through which the session, subscription and order layers talk to the
 * exchange. The RPC layer implements it; tests pass a fake that records calls.
 */

/** Per-call options every exchange call takes. */
export interface CallOptions {
  /** Aborts the wait for the answer (the request may still reach the exchange). */
  signal?: AbortSignal
  /** Overrides the caller's default request timeout, in milliseconds. @default the client's `requestTimeoutMs` */
  timeoutMs?: number
}

/** Sends one JSON-RPC call and resolves with its `result` (or rejects with a {@link DeribitError}). */
export interface RpcCaller {
  call<T>(method: string, params?: Record<string, unknown>, options?: CallOptions): Promise<T>
}
