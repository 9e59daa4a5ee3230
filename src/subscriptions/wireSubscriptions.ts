import { DeribitError, RpcError } from '../errors.js'
import { isPrivateChannel } from '../protocol/channels.js'
import { TRANSIENT_ERROR_CODES } from '../protocol/errorCodes.js'
import type { CallOptions } from '../session/rpcCaller.js'
import { ChannelChunker, chunkChannels } from './batches.js'

/**
 * Batches are bounded by bytes (under Deribit's 32 kB frame limit), not by a channel count:
 * fewer requests means fewer subscribe credits and round trips when a thousand channels return.
 */
const BATCHING = { maxPerBatch: 10_000 } as const

/** Sends one subscribe or unsubscribe request on one socket. */
export type WireCall = (method: string, params: { channels: string[] }, options: CallOptions) => Promise<unknown>

/**
 * A subscribe written right behind an authentication, before its answer. The exchange handles
 * one connection's requests in order, so the subscribe lands on whatever identity that
 * authentication left the connection with.
 */
export interface BehindAuthentication {
  /** True when the authentication succeeded (the connection is the new session now). */
  landed: Promise<boolean>
  /**
   * True once the client made that session the active one (its new-session bookkeeping done);
   * false when it gave the result up. Awaited only after `landed` was true.
   */
  committed: Promise<boolean>
}

/** What one subscribe pass learnt from the exchange. */
export interface SubscribeOutcome {
  /** Channels the exchange echoed: now on the wire. */
  confirmed: string[]
  /** Channels the exchange left out of its answer, or refused with an error, and that error. */
  refused: Array<{ channel: string; error: DeribitError }>
  /** Channels whose request failed without a verdict (the socket closed, a timeout). */
  unsettled: string[]
}

/**
 * What is on the wire of the current socket: channels the exchange confirmed and requests in
 * flight, by the names the user asked for. Only the subscription manager writes through it.
 * A new socket starts empty; a new exchange session (any re-authentication but a refresh of the
 * same session) ends the private subscriptions silently, so they are forgotten then.
 */
export class WireSubscriptions {
  // Kept apart so that a new session drops the private ones in one step.
  readonly #public = new Set<string>()
  readonly #private = new Set<string>()
  readonly #subscribing = new Set<string>()
  readonly #unsubscribing = new Set<string>()
  /**
   * Channels of subscribes written behind an authentication still unanswered: in flight,
   * whatever session comes. Kept as the lists sent; a set of one is built only if a pass asks.
   */
  readonly #behind = new Map<readonly string[], Set<string> | undefined>()
  readonly #chunker = new ChannelChunker(BATCHING)
  #epoch = -1
  /** Bumped by every new socket or exchange session: an answer from an older one confirms nothing private. */
  #privateGeneration = 0

  /** The socket these records describe; a new epoch forgets everything. */
  sync(epoch: number): void {
    if (epoch === this.#epoch) return
    this.#epoch = epoch
    this.#public.clear()
    this.#private.clear()
    this.#subscribing.clear()
    this.#unsubscribing.clear()
    this.#behind.clear()
    this.#privateGeneration++
  }

  /** The exchange started a new session on this socket: its private subscriptions ended. */
  forgetPrivate(): void {
    this.#private.clear()
    for (const c of this.#subscribing) if (isPrivateChannel(c)) this.#subscribing.delete(c)
    for (const c of this.#unsubscribing) if (isPrivateChannel(c)) this.#unsubscribing.delete(c)
    this.#privateGeneration++
  }

  /** Whether `channel` is confirmed on the wire. */
  has(channel: string): boolean {
    return (isPrivateChannel(channel) ? this.#private : this.#public).has(channel)
  }

  /** Confirmed channels. */
  channels(): string[] {
    return [...this.#public, ...this.#private]
  }

  /** True while any request is in flight. */
  get busy(): boolean {
    return this.#subscribing.size > 0 || this.#unsubscribing.size > 0
  }

  /**
   * What to send to reach `desired`, leaving out what is in flight: channels to subscribe, and
   * confirmed channels to unsubscribe. `resnapshot` channels are unsubscribed even if desired
   * (the next pass subscribes them again, which brings a fresh snapshot).
   */
  diff(desired: ReadonlySet<string>, resnapshot: ReadonlySet<string>): { subscribe: string[]; unsubscribe: string[] } {
    const subscribe: string[] = []
    for (const c of desired) {
      if (!this.has(c) && !this.#subscribing.has(c) && !this.#unsubscribing.has(c) && !this.#isBehind(c))
        subscribe.push(c)
    }
    const unsubscribe: string[] = []
    for (const set of [this.#public, this.#private]) {
      for (const c of set) {
        if ((!desired.has(c) || resnapshot.has(c)) && !this.#unsubscribing.has(c)) unsubscribe.push(c)
      }
    }
    return { subscribe, unsubscribe }
  }

  /**
   * Subscribes `channels` on the socket of `epoch`; resolves with the exchange's verdict per channel.
   * With `behind`, the request rides behind an authentication not yet answered: what the exchange
   * confirmed counts for the session the authentication left on the connection (the new one once
   * committed; the old one when it failed, so the next pass takes back what that one does not
   * want), and an error it drew is no verdict on the channel (it may be the refused sign-in's).
   */
  async subscribe(
    call: WireCall,
    channels: readonly string[],
    authenticated: boolean,
    options: CallOptions & { epoch: number; behind?: BehindAuthentication },
  ): Promise<SubscribeOutcome> {
    this.sync(options.epoch)
    if (options.behind !== undefined) return this.#subscribeBehind(call, channels, options, options.behind)
    const generation = this.#privateGeneration
    for (const c of channels) this.#subscribing.add(c)
    const method = authenticated ? 'private/subscribe' : 'public/subscribe'
    const outcome: SubscribeOutcome = { confirmed: [], refused: [], unsettled: [] }
    try {
      const answers = await sendBatches(call, method, this.#chunker.chunk(channels), options)
      readAnswers(answers, outcome, true)
      this.#record(outcome.confirmed, options.epoch, generation)
      return outcome
    } finally {
      if (this.#epoch === options.epoch) {
        for (const c of channels)
          if (generation === this.#privateGeneration || !isPrivateChannel(c)) this.#subscribing.delete(c)
      }
    }
  }

  async #subscribeBehind(
    call: WireCall,
    channels: readonly string[],
    options: CallOptions & { epoch: number },
    behind: BehindAuthentication,
  ): Promise<SubscribeOutcome> {
    this.#behind.set(channels, undefined)
    const outcome: SubscribeOutcome = { confirmed: [], refused: [], unsettled: [] }
    try {
      const answers = await sendBatches(call, 'private/subscribe', this.#chunker.chunk(channels), options)
      const landed = await behind.landed
      if (landed && !(await behind.committed)) {
        outcome.unsettled.push(...channels)
        return outcome
      }
      readAnswers(answers, outcome, landed)
      // Read now, after the commit: the new session's private channels are kept from here on.
      this.#record(outcome.confirmed, options.epoch, this.#privateGeneration)
      return outcome
    } finally {
      this.#behind.delete(channels)
    }
  }

  #record(confirmed: readonly string[], epoch: number, generation: number): void {
    if (this.#epoch !== epoch) return
    for (const c of confirmed) {
      if (!isPrivateChannel(c)) this.#public.add(c)
      else if (generation === this.#privateGeneration) this.#private.add(c)
    }
  }

  #isBehind(channel: string): boolean {
    if (this.#behind.size === 0) return false
    for (const [sent, set] of this.#behind) {
      let round = set
      if (round === undefined) {
        round = new Set(sent)
        this.#behind.set(sent, round)
      }
      if (round.has(channel)) return true
    }
    return false
  }

  /** Unsubscribes confirmed `channels`; they count as gone as soon as the request is written. */
  async unsubscribe(
    call: WireCall,
    channels: readonly string[],
    authenticated: boolean,
    options: CallOptions & { epoch: number },
  ): Promise<void> {
    this.sync(options.epoch)
    for (const c of channels) this.#unsubscribing.add(c)
    const method = authenticated ? 'private/unsubscribe' : 'public/unsubscribe'
    try {
      await Promise.all(chunkChannels(channels, BATCHING).map((batch) => call(method, { channels: batch }, options)))
      if (this.#epoch === options.epoch) {
        for (const c of channels) {
          this.#public.delete(c)
          this.#private.delete(c)
        }
      }
    } finally {
      if (this.#epoch === options.epoch) for (const c of channels) this.#unsubscribing.delete(c)
    }
  }
}

/** One answer (or error) per batch of a subscribe request that the frame limit split. */
type BatchAnswer = { batch: readonly string[]; result: unknown[]; error: unknown }

function sendBatches(
  call: WireCall,
  method: string,
  batches: ReadonlyArray<readonly string[]>,
  options: CallOptions & { epoch: number },
): Promise<BatchAnswer[]> {
  return Promise.all(
    batches.map((batch) =>
      call(method, { channels: batch as string[] }, options).then(
        (result) => ({ batch, result: Array.isArray(result) ? (result as unknown[]) : [], error: undefined }),
        (error: unknown) => ({ batch, result: [] as unknown[], error }),
      ),
    ),
  )
}

/**
 * Sorts each batch's answer into `outcome`. An error is a verdict on the channels only when
 * `verdicts` (not for a request behind a refused sign-in) and it carries an exchange code that
 * is not a transient one (maintenance, a rate limit, overload: the channels stay wanted).
 */
function readAnswers(answers: readonly BatchAnswer[], outcome: SubscribeOutcome, verdicts: boolean): void {
  for (const { batch, result, error } of answers) {
    if (error !== undefined) {
      const verdict =
        verdicts &&
        error instanceof DeribitError &&
        error.exchangeCode !== undefined &&
        !TRANSIENT_ERROR_CODES.has(error.exchangeCode)
      for (const channel of batch) {
        if (verdict) outcome.refused.push({ channel, error: error as DeribitError })
        else outcome.unsettled.push(channel)
      }
      continue
    }
    if (echoesInOrder(batch, result)) {
      outcome.confirmed.push(...batch)
      continue
    }
    const echoed = new Set<string>()
    for (const name of result) if (typeof name === 'string') echoed.add(name.toLowerCase())
    for (const channel of batch) {
      if (echoed.has(channel.toLowerCase())) outcome.confirmed.push(channel)
      else if (verdicts) outcome.refused.push({ channel, error: refusedError(channel) })
      else outcome.unsettled.push(channel)
    }
  }
}

/** The usual answer: every channel echoed as asked, in order; compared in place, no hashing. */
function echoesInOrder(batch: readonly string[], result: readonly unknown[]): boolean {
  if (result.length !== batch.length) return false
  for (let i = 0; i < batch.length; i++) if (result[i] !== batch[i]) return false
  return true
}

function refusedError(channel: string): RpcError {
  return new RpcError(`The exchange refused channel ${channel}`, {
    exchangeCode: 11052,
    data: { channels: [channel] },
    method: 'subscribe',
  })
}
