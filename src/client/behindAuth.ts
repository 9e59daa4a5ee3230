import { identityOf } from '../session/activeSession.js'
import type { SubscriptionManager } from '../subscriptions/subscriptionManager.js'
import type { OpenOrdersPrefetch, OrderSync } from './orderSync.js'

/** What the requests behind an authentication need. */
export interface BehindAuthOptions {
  /** The socket the authentication was written on. */
  epoch: number
  /** A new socket: every channel goes out behind the authentication, public ones too. */
  fresh: boolean
  subscriptions: SubscriptionManager
  orders: OrderSync
  /** One more request for the new identity, written last (cancel-on-disconnect). */
  more?: () => Promise<unknown>
  /** The subject private events are filed under until the commit (the active context's). */
  filedUnder: () => number | undefined
}

/** The requests written behind one authentication. */
export interface BehindRound {
  /** Whether the authentication succeeded. */
  landed: Promise<boolean>
  /** Channels confirmed for the new session (none unless it landed and was committed). */
  subscribed: Promise<string[]>
  openOrders: OpenOrdersPrefetch
  more: Promise<unknown> | undefined
}

/**
 * Requests that need the identity an authentication signs in as go out right behind it, in the
 * same flight, instead of one round trip later: the exchange handles one connection's requests
 * in order, so they land on whatever identity the authentication left (only when it keeps the
 * account, see {@link BehindAuth.written}). They are the private
 * subscribes, the open-order query and `more`. The authenticator starts a round through
 * `RpcCaller.authWritten` (a refused sign-in followed by another starts a second one), and the
 * token operation's owner ends it with {@link settle}: the round whose authentication landed
 * then stands for the new identity; every other round's answers are ignored, and the
 * subscriptions converge from what the exchange really holds.
 */
export class BehindAuth {
  readonly #options: BehindAuthOptions
  readonly #rounds: BehindRound[] = []
  readonly #committed: Promise<boolean>
  #commit: (committed: boolean) => void = () => undefined

  constructor(options: BehindAuthOptions) {
    this.#options = options
    this.#committed = new Promise<boolean>((resolve) => {
      this.#commit = resolve
    })
  }

  /**
   * The `RpcCaller.authWritten` hook: writes the round's requests now, when the authentication
   * keeps the subject events are filed under. Events of channels subscribed behind it can arrive
   * before the client commits the new context (ws hands every frame of a read over at once), so
   * they must belong to the subject still active: a reconnect, a fork. An exchange or a switch to
   * another account, or a first sign-in whose account is not known yet, subscribes after the
   * authentication's answer instead.
   */
  readonly written = (landed: Promise<boolean>, subjectId: number | undefined): void => {
    const { epoch, fresh, subscriptions, orders, more, filedUnder } = this.#options
    if (subjectId === undefined || subjectId !== filedUnder()) return
    const key = subjectId === undefined ? undefined : identityOf(subjectId)
    const subscribed = subscriptions.subscribeBehind(epoch, key, { landed, committed: this.#committed }, fresh)
    const extra = more?.()
    extra?.catch(() => undefined)
    this.#rounds.push({ landed, subscribed, openOrders: orders.prefetch(epoch), more: extra })
  }

  /**
   * The token operation ended: `committed` when its result is the active session now (its
   * new-session bookkeeping done), false when it failed or was given up. Resolves with the round
   * whose authentication landed when committed, once every other round's answers are in (they
   * come right behind their refused authentication).
   */
  async settle(committed: boolean): Promise<BehindRound | undefined> {
    this.#commit(committed)
    let taken: BehindRound | undefined
    for (const round of this.#rounds) {
      if (await round.landed) taken = round
      else await round.subscribed
    }
    return committed ? taken : undefined
  }
}
