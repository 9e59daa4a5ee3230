import { channelInterval, isPrivateChannel } from '../protocol/channels.js'
import { identityOf } from './connection.js'
import { SimRpcError } from './contract.js'
import { optionalString, requireStringList } from './params.js'
import { parsePrivateChannel } from './privateChannels.js'
import { type ServerCall, type ServerDeps, type ServerMethod, wsConnection } from './serverMethod.js'

function rawNeedsAuth(): SimRpcError {
  return new SimRpcError(13778, 'raw_subscriptions_not_available_for_unauthorized')
}

/** True when the connection has a usable identity (raw channels need one). */
function isAuthenticated(deps: ServerDeps, call: ServerCall): boolean {
  const a = wsConnection(call).auth
  return a !== undefined && !a.session.revoked && deps.sessions.isLive(a.accessToken)
}

/**
 * The name the exchange subscribes and echoes: `user.portfolio.{currency}` in lower case, as
 * Deribit answers (`user.portfolio.BTC` comes back as `user.portfolio.btc`); others as asked.
 */
function echoedChannel(channel: string): string {
  return channel.startsWith('user.portfolio.') ? channel.toLowerCase() : channel
}

function subscribe(deps: ServerDeps, access: 'public' | 'private'): ServerMethod {
  return {
    access,
    wsOnly: true,
    run(call) {
      const channels = requireStringList(call.params, 'channels')
      const label = access === 'private' ? optionalString(call.params, 'label') : undefined
      const conn = wsConnection(call)
      if (
        access === 'public' &&
        channels.some((c) => !isPrivateChannel(c) && channelInterval(c) === 'raw') &&
        !isAuthenticated(deps, call)
      ) {
        throw rawNeedsAuth()
      }
      for (const channel of channels) {
        const refusal = deps.exchange.channelRefusal?.(channel)
        if (refusal !== undefined) throw refusal
      }
      const done: string[] = []
      for (const asked of channels) {
        const channel = echoedChannel(asked)
        if (isPrivateChannel(channel)) {
          // public/subscribe cannot take private channels; they are left out of the result.
          if (call.auth === undefined) continue
          const matcher = parsePrivateChannel(channel, (n) => deps.exchange.instrument(n))
          if (matcher === undefined) continue
          const session = call.auth.session
          const identity =
            session === undefined
              ? { accountId: call.auth.accountId, key: `${call.auth.accountId}|key` }
              : identityOf(session)
          deps.hub.subscribePrivate(conn, channel, matcher, identity, label)
          done.push(channel)
          continue
        }
        if (!deps.exchange.isPublicChannel(channel)) continue
        const added = deps.hub.subscribePublic(conn, channel)
        done.push(channel)
        // Families that start with a snapshot (books, incremental tickers, platform state) send it after the answer.
        if (added) {
          call.after.push(() => {
            if (!deps.hub.has(conn, channel)) return
            const snapshot = deps.exchange.snapshotFor(channel)
            if (snapshot !== undefined) deps.hub.sendTo(conn, channel, snapshot)
          })
        }
      }
      return done
    },
  }
}

function unsubscribe(deps: ServerDeps, access: 'public' | 'private'): ServerMethod {
  return {
    access,
    wsOnly: true,
    run(call) {
      const channels = requireStringList(call.params, 'channels')
      const conn = wsConnection(call)
      return channels
        .map(echoedChannel)
        .filter((c) => (access === 'private' || !isPrivateChannel(c)) && deps.hub.unsubscribe(conn, c))
    },
  }
}

function unsubscribeAll(deps: ServerDeps, access: 'public' | 'private'): ServerMethod {
  return {
    access,
    wsOnly: true,
    run(call) {
      deps.hub.unsubscribeAll(wsConnection(call))
      return 'ok'
    },
  }
}

/** `public|private/subscribe`, `unsubscribe`, `unsubscribe_all`. */
export function subscriptionMethods(deps: ServerDeps): Record<string, ServerMethod> {
  return {
    'public/subscribe': subscribe(deps, 'public'),
    'private/subscribe': subscribe(deps, 'private'),
    'public/unsubscribe': unsubscribe(deps, 'public'),
    'private/unsubscribe': unsubscribe(deps, 'private'),
    'public/unsubscribe_all': unsubscribeAll(deps, 'public'),
    'private/unsubscribe_all': unsubscribeAll(deps, 'private'),
  }
}
