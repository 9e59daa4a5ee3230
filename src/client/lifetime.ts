/**
 * The client's one lifetime scope. Every timer and background task the client starts is owned
 * here, and {@link end} ends them all: after `close()` nothing is armed, nothing is sent, and the
 * process can exit. Late continuations check {@link ended} (or listen to {@link signal}) before
 * acting.
 */
export class Lifetime {
  readonly #controller = new AbortController()
  readonly #timers = new Set<ReturnType<typeof setTimeout>>()
  readonly #tasks = new Set<Promise<unknown>>()

  /** Aborts when the client closes. */
  get signal(): AbortSignal {
    return this.#controller.signal
  }

  /** True once the client closed. */
  get ended(): boolean {
    return this.#controller.signal.aborted
  }

  /** Runs `fn` after `delayMs` unless the scope ended first; returns the cancel. */
  timeout(fn: () => void, delayMs: number): () => void {
    if (this.ended) return () => {}
    const timer = setTimeout(() => {
      this.#timers.delete(timer)
      if (!this.ended) fn()
    }, delayMs)
    this.#timers.add(timer)
    return () => {
      clearTimeout(timer)
      this.#timers.delete(timer)
    }
  }

  /** Resolves after `delayMs`, or at once when the scope ends. */
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.ended) return resolve()
      const cancel = this.timeout(done, delayMs)
      const signal = this.signal
      function done() {
        cancel()
        signal.removeEventListener('abort', done)
        resolve()
      }
      signal.addEventListener('abort', done, { once: true })
    })
  }

  /** Runs a background task the scope owns; its failure goes to `onError`, never unhandled. */
  run(task: () => Promise<unknown>, onError: (error: unknown) => void): void {
    if (this.ended) return
    const running = (async () => task())().catch((error: unknown) => {
      if (!this.ended) onError(error)
    })
    this.#tasks.add(running)
    void running.finally(() => this.#tasks.delete(running))
  }

  /** Background tasks still running. */
  get tasks(): number {
    return this.#tasks.size
  }

  /** Ends the scope: clears every timer and aborts every task's signal. */
  end(): void {
    for (const timer of this.#timers) clearTimeout(timer)
    this.#timers.clear()
    this.#controller.abort()
  }
}
