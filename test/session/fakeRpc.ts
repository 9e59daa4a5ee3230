import type { CallOptions, RpcCaller } from '../../src/session/rpcCaller.js'

/** One call a {@link FakeRpc} received. */
export interface RecordedCall {
  method: string
  params: Record<string, unknown> | undefined
  options: CallOptions | undefined
}

/** An RpcCaller that records calls and answers from a per-method script. */
export class FakeRpc implements RpcCaller {
  readonly calls: RecordedCall[] = []
  readonly #answers = new Map<string, (params: Record<string, unknown> | undefined) => unknown>()

  /** Answers `method` with `answer(params)`; a thrown error becomes a rejection. */
  on(method: string, answer: (params: Record<string, unknown> | undefined) => unknown): this {
    this.#answers.set(method, answer)
    return this
  }

  async call<T>(method: string, params?: Record<string, unknown>, options?: CallOptions): Promise<T> {
    this.calls.push({ method, params, options })
    const answer = this.#answers.get(method)
    if (answer === undefined) throw new Error(`FakeRpc: no answer for ${method}`)
    return answer(params) as T
  }
}
