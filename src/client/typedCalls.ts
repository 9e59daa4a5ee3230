/**
 * The argument and handler types of the client's typed `call` and `subscribe`. Types only: the
 * client sends exactly what it is given, so typing costs nothing at run time.
 */
import type { CheckedChannel } from '../protocol/channelNames.js'
import type { ChannelPayload } from '../protocol/channelPayloads.js'
import type { MethodName, MethodParams } from '../protocol/methodTypes.js'
import type { CallOptions } from '../session/rpcCaller.js'

/**
 * What follows the method name in `call`: its params (optional exactly when none is required),
 * then the call's options.
 */
export type CallArgs<M extends MethodName> =
  Record<never, never> extends MethodParams<M>
    ? [params?: MethodParams<M>, options?: CallOptions]
    : [params: MethodParams<M>, options?: CallOptions]

/** The members of `C` that fit no channel family segment by segment. */
type UnknownChannels<C extends string> = C extends string ? ([CheckedChannel<C>] extends [never] ? C : never) : never

/**
 * A channel name `subscribe` accepts: a {@link ChannelName} that also fits its family segment by
 * segment. A name that does not is refused with an error that names it.
 */
export type ChannelArg<C extends string> = C &
  ([UnknownChannels<C>] extends [never] ? unknown : { readonly "not a channel of Deribit's API": UnknownChannels<C> })

/** A notification handler of `subscribe`: the payload typed by the channel it came on. */
export type ChannelHandler<C extends string> = (data: ChannelPayload<C>, channel: C, label: string | undefined) => void
