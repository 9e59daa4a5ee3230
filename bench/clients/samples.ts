/**
 * Repeated transition timings of one client: each kind's median time and frame count, and the
 * wire timeline of its last repetition (offset in ms from the call, method) to show the round trips.
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

  /** Records one repetition: its duration and the frames the simulator received in its window. */
  add(kind: string, ms: number, frames: SentFrame[], fromMs: number): void {
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
