import ReconnectingWebSocketModule from 'reconnecting-websocket'

/*
 * How this class uses reconnecting-websocket (RWS)
 * ------------------------------------------------
 * RWS owns the lifecycle of ONE socket: it constructs it through the injected `ws` class, runs the
 * connect timeout, and folds ws's error-then-close into a single close event. It is created with
 * `maxRetries: 0`, so it never reconnects by itself; this class drives reconnects with
 * `reconnectDelay`, opening a fresh RWS per attempt. Why not let RWS retry with our delays:
 * - its retry wait is an untracked `setTimeout` that `close()` cannot cancel, so a closed client
 *   would keep the process alive for up to `maxDelayMs`;
 * - once `maxRetries` is reached its connect lock stays engaged and `reconnect()` is a no-op, so an
 *   instance cannot be reused after giving up;
 * - its delay curve has no jitter and only resets after its own uptime timer.
 * `maxEnqueuedMessages: 0` plus our own state check in `send()` guarantee that nothing is ever
 * buffered and replayed on a later connection.
 *
 * Frames do NOT go through RWS: RWS listens with `addEventListener('message')`, for which `ws`
 * builds a `MessageEvent` per frame (the per-frame hot path). The injected socket class ignores
 * that registration and this class reads ws's own `'message'` event instead; whether a frame
 * belongs to the current, opened, not-ended attempt is checked exactly as before, so epochs and
 * "nothing after close" hold the same way.
 */

// reconnecting-websocket is CommonJS; under NodeNext its default import is `module.exports`.
const ReconnectingWebSocket = ((ReconnectingWebSocketModule as unknown as { default?: unknown }).default ??
  ReconnectingWebSocketModule) as typeof ReconnectingWebSocketModule.default
/** One attempt's RWS instance. */
export type Rws = InstanceType<typeof ReconnectingWebSocket>

/**
 * RWS with its retry wait removed. Before constructing a socket, RWS always waits out its own
 * retry delay with a `setTimeout`, even a 0 ms one, which Node rounds up to at least 1 ms. Every
 * attempt here is a fresh RWS that never retries (the delay that matters is ours, `reconnectDelay`,
 * already waited), so that wait only made every connect and reconnect a timer tick slower. `_wait`
 * is RWS's own seam for the delay (4.4.0, its last release); the socket is still constructed
 * asynchronously, so `close()` right after construction still skips it.
 */
export class ImmediateRws extends ReconnectingWebSocket {}
;(ImmediateRws.prototype as unknown as { _wait(): Promise<void> })._wait = () => Promise.resolve()
