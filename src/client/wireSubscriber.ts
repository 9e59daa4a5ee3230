import type { RpcClient } from '../rpc/rpcClient.js'
import { chunkChannels } from '../subscriptions/batches.js'
import type { WireSubscriptions } from '../subscriptions/wireSubscriptions.js'

/**
 * Batches are bounded by bytes (under Deribit's 32 kB frame limit), not by a channel count:
 * fewer requests means fewer subscribe credits and round trips when a thousand channels return.
 */
const BATCHING = { maxPerBatch: 10_000 } as const

/** How a batch is sent. */
export interface WireOptions {
  /** Authenticated connections use `private/subscribe` (which takes both kinds); others `public/subscribe`. */
  authenticated: boolean
  /** The socket epoch the caller saw; nothing is sent on a newer socket. */
  epoch: number
  signal?: AbortSignal
}

/**
 * What is subscribed on the current socket, as the exchange confirmed it. Keeps every channel
 * subscribed at most once per connection, splits requests under the 32 kB frame limit and lets
 * the credit limiter pace them.
 */
export class WireSubscriber {
  readonly #rpc: Pick<RpcClient, 'call'>
  readonly #onWire: WireSubscriptions
  readonly #canonical: (echoed: string) => string
  #epoch = -1
  /**
   * The channels of each request in flight. Kept as the batch lists themselves: a transition
   * with a thousand channels then adds and removes one entry, not a thousand; a Set of a batch
   * is only built when a concurrent subscribe has to look names up in it.
   */
  readonly #inFlight: InFlight[] = []

  /**
   * @param onWire the registry's record of what the exchange confirmed (by the names asked for)
   * @param canonical maps a name as the exchange echoed it (it may lower-case, §5) to the name asked for
   */
  constructor(rpc: Pick<RpcClient, 'call'>, onWire: WireSubscriptions, canonical: (echoed: string) => string) {
    this.#rpc = rpc
    this.#onWire = onWire
    this.#canonical = canonical
  }

  /** A re-authentication as another identity ended the private subscriptions on the exchange (§10.3). */
  forgetPrivate(): void {
    this.#onWire.resetWire('private')
  }

  /**
   * Subscribes what is not on the wire yet. Resolves with the channels confirmed now and those the
   * exchange left out of its answer (refused).
   */
  async subscribe(
    channels: readonly string[],
    options: WireOptions,
  ): Promise<{ confirmed: string[]; rejected: string[] }> {
    this.#sync(options.epoch)
    let wanted = this.#onWire.notOnWire(channels)
    if (this.#inFlight.length > 0) wanted = wanted.filter((c) => !this.#isInFlight(c))
    if (wanted.length === 0) return { confirmed: [], rejected: [] }
    const flight: InFlight = { channels: wanted, lookup: undefined }
    this.#inFlight.push(flight)
    const method = options.authenticated ? 'private/subscribe' : 'public/subscribe'
    try {
      const answers = await Promise.all(
        chunkChannels(wanted, BATCHING).map((batch) =>
          this.#rpc.call<unknown>(method, { channels: batch }, this.#callOptions(options)).then((result) => ({
            batch,
            result: Array.isArray(result) ? (result as unknown[]) : [],
          })),
        ),
      )
      const confirmed: string[] = []
      const rejected: string[] = []
      if (this.#epoch !== options.epoch) return { confirmed, rejected }
      for (const { batch, result } of answers) {
        if (echoesInOrder(batch, result)) {
          confirmed.push(...batch)
          continue
        }
        const accepted = new Set<unknown>()
        for (const echoed of result) accepted.add(typeof echoed === 'string' ? this.#canonical(echoed) : echoed)
        for (const channel of batch) (accepted.has(channel) ? confirmed : rejected).push(channel)
      }
      this.#onWire.markSubscribed(confirmed)
      return { confirmed, rejected }
    } finally {
      const at = this.#inFlight.indexOf(flight)
      if (at !== -1) this.#inFlight.splice(at, 1)
    }
  }

  /** Unsubscribes channels that are on the wire. */
  async unsubscribe(channels: readonly string[], options: WireOptions): Promise<void> {
    this.#sync(options.epoch)
    const present = channels.filter((c) => this.#onWire.has(c))
    if (present.length === 0) return
    this.#onWire.markUnsubscribed(present)
    const method = options.authenticated ? 'private/unsubscribe' : 'public/unsubscribe'
    await Promise.all(
      chunkChannels(present, BATCHING).map((batch) =>
        this.#rpc.call(method, { channels: batch }, this.#callOptions(options)),
      ),
    )
  }

  #callOptions(options: WireOptions) {
    return { epoch: options.epoch, ...(options.signal ? { signal: options.signal } : {}) }
  }

  #isInFlight(channel: string): boolean {
    for (const flight of this.#inFlight) {
      flight.lookup ??= new Set(flight.channels)
      if (flight.lookup.has(channel)) return true
    }
    return false
  }

  /** A new socket starts with nothing subscribed. */
  #sync(epoch: number): void {
    if (epoch === this.#epoch) return
    this.#epoch = epoch
    this.#onWire.resetWire('all')
    this.#inFlight.length = 0
  }
}

/** One subscribe request's channels, while it waits for its answer. */
interface InFlight {
  readonly channels: readonly string[]
  lookup: Set<string> | undefined
}

/**
 * The usual answer: every channel echoed as asked, in the order asked. Checked by comparing
 * strings in place, which is far cheaper for a thousand names than hashing each echoed one.
 */
function echoesInOrder(batch: readonly string[], result: readonly unknown[]): boolean {
  if (result.length !== batch.length) return false
  for (let i = 0; i < batch.length; i++) if (result[i] !== batch[i]) return false
  return true
}
