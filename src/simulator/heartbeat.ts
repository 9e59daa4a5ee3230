/**
 * The server side of `public/set_heartbeat`: every interval a `test_request` goes out;
 * if a whole interval after one passes without any request from the client, the connection is
 * deemed dead.
 */
/**
 * Longest delay Node's timers honour; a longer one fires after 1 ms instead. `set_heartbeat` with
 * a huge interval (a client's bug or a fuzzer) must not turn into a `test_request` storm and a close.
 */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1

export class Heartbeat {
  #timer: NodeJS.Timeout | undefined
  #awaiting = false

  constructor(
    private readonly intervalMs: number,
    private readonly hooks: {
      /** Writes the `test_request` notification. */
      sendTestRequest(): void
      /** Closes the connection: no request arrived in time. */
      onTimeout(): void
      /** True while the connection is frozen by a half-open fault: ticks are skipped. */
      isFrozen(): boolean
    },
  ) {}

  start(): void {
    this.stop()
    this.#awaiting = false
    this.#timer = setInterval(() => this.#tick(), Math.min(this.intervalMs, MAX_TIMER_DELAY_MS))
    this.#timer.unref()
  }

  /** Any request from the client counts as the answer. */
  activity(): void {
    this.#awaiting = false
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #tick(): void {
    if (this.hooks.isFrozen()) return
    if (this.#awaiting) {
      this.stop()
      this.hooks.onTimeout()
      return
    }
    this.#awaiting = true
    this.hooks.sendTestRequest()
  }
}

/** The `test_request` frame. */
export const TEST_REQUEST_FRAME = '{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}'
