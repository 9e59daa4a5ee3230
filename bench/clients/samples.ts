/**
 * Repeated transition timings of one client: each kind's median time and frame count, and the
 * wire timeline of its last repetition (offset in ms from the call, method) to show the round trips.
 * The first `warmups` repetitions of each kind are run but not kept: a fresh process runs a
 * transition's code cold (interpreted) the first few times, for the floor's few lines and the
 * SDK's many alike, and the other measures all start with a warm-up too.
 */
import type { SentFrame } from '../protocol.js'
import { median } from '../stats.js'

interface Sample {
  ms: number
  frames: SentFrame[]
  fromMs: number
}

export class Samples {
  readonly #byKind = new Map<string, Sample[]>()
  readonly #seen = new Map<string, number>()
  readonly #warmups: number

  /** @param warmups repetitions of each kind to discard before keeping any. */
  constructor(warmups = 0) {
    this.#warmups = warmups
  }

  /**
   * Times `run` and records it with the frames the simulator received meanwhile (asked of
   * `framesBetween` afterwards); resolves with the milliseconds it took.
   */
  async time(
    kind: string,
    run: () => Promise<unknown>,
    framesBetween: (fromMs: number, toMs: number) => Promise<SentFrame[]>,
  ): Promise<number> {
    const from = Date.now()
    const t0 = performance.now()
    await run()
    const ms = performance.now() - t0
    this.add(kind, ms, await framesBetween(from, Date.now()), from)
    return ms
  }

  /** Records one repetition (unless still warming up): its duration and the frames the simulator received. */
  add(kind: string, ms: number, frames: SentFrame[], fromMs: number): void {
    const seen = (this.#seen.get(kind) ?? 0) + 1
    this.#seen.set(kind, seen)
    if (seen <= this.#warmups) return
    const list = this.#byKind.get(kind) ?? []
    list.push({ ms, frames, fromMs })
    this.#byKind.set(kind, list)
  }

  /** `{ [kind]: { ms, frames, msSamples, methods, timeline } }`. */
  summary(): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (const [kind, list] of this.#byKind) {
      const last = list[list.length - 1] as Sample
      const methods: Record<string, number> = {}
      for (const f of last.frames) methods[f.method] = (methods[f.method] ?? 0) + 1
      out[kind] = {
        ms: median(list.map((s) => s.ms)),
        frames: median(list.map((s) => s.frames.length)),
        msSamples: list.map((s) => Math.round(s.ms * 100) / 100),
        methods,
        timeline: last.frames.map((f) => `+${f.at - last.fromMs}ms ${f.method}`),
      }
    }
    return out
  }
}
