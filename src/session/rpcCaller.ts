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
  /**
   * Set by the connection on the caller of a sign-in or token operation. The authenticator calls
   * it right after writing the `public/auth` that settles the connection's next identity (never
   * one it will leave again), with whether that authentication succeeded and the subject it signs
   * in as (undefined: the key's main account, not known yet). Requests that need the new identity
   * can follow it in the same flight: the exchange handles one connection's requests in order.
   */
  authWritten?: (landed: Promise<boolean>, subjectId: number | undefined) => void
}
