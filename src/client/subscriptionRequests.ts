import { ClientClosedError, DeribitError } from '../errors.js'
import type { CallOptions } from '../session/rpcCaller.js'
import { Subscription, subscriptionInternals } from '../subscriptions/subscription.js'
import type { NotificationHandler } from '../subscriptions/subscriptionRegistry.js'
import { untilDeadline } from './identityGate.js'
import type { ClientParts } from './parts.js'

/**
 * `subscribe()` and `unsubscribe()` as the user asks them: which identity a private channel
 * belongs to (the one the transitions queued before the call end on), the wait until the wire
 * agrees (the reconciler writes the frames), and all or nothing: a refused channel takes the
 * call's other channels off again.
 */
export class SubscriptionRequests {
  readonly #p: ClientParts

  constructor(parts: ClientParts) {
    this.#p = parts
  }

  /** Subscribes `channels`; resolves once the exchange confirmed them (or, while idle, once they are desired). */
  async subscribe(
    channels: string | readonly string[],
    handler: NotificationHandler | undefined,
    options: CallOptions,
  ): Promise<Subscription> {
    const list = normaliseChannels(channels)
    const { subscriptions, transitions, connection, options: resolved } = this.#p
    if (connection.state === 'closed') throw new ClientClosedError()
    const deadline = Date.now() + (options.timeoutMs ?? resolved.requestTimeoutMs)
    // A private channel belongs to the identity the transitions queued before the call end on.
    const ahead = list.some((c) => c.startsWith('user.')) ? transitions.ahead() : undefined
    if (ahead) await untilDeadline(ahead, deadline, options.signal)
    const subscription: Subscription = new Subscription({
      channels: list,
      unsubscribe: () => this.#end(subscription, options),
      // With a handler, nobody may ever iterate: an unread buffer must not fill up and end the subscription.
      bufferBeforeIteration: handler === undefined,
    })
    const sink = subscriptionInternals(subscription)
    const deliver: NotificationHandler = (data, channel, label) => {
      sink.push(channel, data, label)
      handler?.(data, channel, label)
    }
    subscriptions.add(subscription, deliver, subscriptions.registry.activeIdentity)
    if (connection.state === 'idle') return subscription
    void subscriptions.sync()
    try {
      await subscriptions.settled(list, 'on', deadline, options.signal)
    } catch (error) {
      this.#forget(subscriptions.remove(subscription, error))
      void subscriptions.sync()
      throw error
    }
    return subscription
  }

  /** Unsubscribes channels for every handler that asked for them; resolves once they left the wire. */
  async unsubscribe(channels: string | readonly string[], options: CallOptions): Promise<void> {
    const list = normaliseChannels(channels)
    const { subscriptions } = this.#p
    subscriptions.removeChannels(list, subscriptions.registry.activeIdentity)
    this.#forget(list)
    await this.#settleOff(list, options)
  }

  async #end(subscription: Subscription, options: CallOptions): Promise<void> {
    const gone = this.#p.subscriptions.remove(subscription)
    this.#forget(gone)
    await this.#settleOff(gone, options)
  }

  async #settleOff(channels: readonly string[], options: CallOptions): Promise<void> {
    const { subscriptions, connection, options: resolved } = this.#p
    if (channels.length === 0 || connection.state === 'idle' || connection.state === 'closed') return
    void subscriptions.sync()
    await subscriptions.settled(
      channels,
      'off',
      Date.now() + (options.timeoutMs ?? resolved.requestTimeoutMs),
      options.signal,
    )
  }

  #forget(channels: readonly string[]): void {
    for (const channel of channels) this.#p.router.forget(channel)
  }
}

function normaliseChannels(channels: string | readonly string[]): string[] {
  const list = typeof channels === 'string' ? [channels] : [...channels]
  if (list.length === 0 || list.some((c) => typeof c !== 'string' || c.length === 0)) {
    throw new DeribitError('INVALID_ARGUMENT', 'channels must be one or more non-empty strings')
  }
  return [...new Set(list)]
}
