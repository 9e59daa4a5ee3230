import type { DeribitClient } from '../client.js'
import { type ChannelName, isChannelName } from '../protocol/channelNames.js'
import { EXIT_FAILURE, EXIT_OK, messageOf, UsageError } from './cliErrors.js'
import { numberFlag, parseFlags, stringFlag } from './flags.js'
import { formatNotification } from './formatNotification.js'
import { connectClient, DEFAULT_CLI_TIMEOUT_MS, openTarget, stderrLogger, TESTNET_URL } from './target.js'

/** `deribit-session watch --help`. */
export const WATCH_HELP = `Usage: deribit-session watch <channel...> [options]

Subscribes to the channels and prints every notification until Ctrl-C. Reconnects and
resubscribes by itself after a drop (noted on stderr).

Options:
  --json           One JSON object per line ({"channel","data"[,"label"]}) for piping (NDJSON)
  --count N        Stop after N notifications
  --url URL        Exchange WebSocket URL (default: $DERIBIT_URL, else an embedded simulator)
                   testnet: ${TESTNET_URL}
  --timeout MS     Connect and subscribe deadline (default ${DEFAULT_CLI_TIMEOUT_MS})
  --verbose        Client diagnostics on stderr
  -h, --help       Show this help

Private (user.*) channels need DERIBIT_CLIENT_ID and DERIBIT_CLIENT_SECRET with --url (or
DERIBIT_URL); with the key set but no URL they are refused rather than watched on the simulator.

Examples:
  deribit-session watch trades.BTC-PERPETUAL.100ms
  deribit-session watch --json book.BTC-PERPETUAL.100ms ticker.ETH-PERPETUAL.100ms | jq .channel
  DERIBIT_URL=${TESTNET_URL} deribit-session watch --count 5 trades.BTC-PERPETUAL.raw
`

/**
 * `deribit-session watch <channel...>`: streams notifications, one line each (readable, or
 * NDJSON with `--json`), until Ctrl-C/SIGTERM, `--count` notifications, the reader closing the
 * pipe, or the exchange revoking the session. Resolves with the exit code.
 *
 * @example
 * // deribit-session watch --json --count 3 trades.BTC-PERPETUAL.100ms
 * process.exitCode = await runWatch(['--json', '--count', '3', 'trades.BTC-PERPETUAL.100ms'])
 */
export async function runWatch(argv: readonly string[]): Promise<number> {
  const { values, positionals: channels } = parseFlags('watch', argv, {
    json: { type: 'boolean' },
    count: { type: 'string' },
    url: { type: 'string' },
    timeout: { type: 'string' },
    verbose: { type: 'boolean' },
  })
  if (values.help) {
    process.stdout.write(WATCH_HELP)
    return EXIT_OK
  }
  if (channels.length === 0) throw new UsageError('watch needs at least one channel, e.g. trades.BTC-PERPETUAL.100ms')
  for (const channel of channels) {
    if (!isChannelName(channel)) throw new UsageError(`'${channel}' is not a channel of Deribit's API`)
  }
  const known = channels.filter(isChannelName)
  const json = values.json === true
  const count = numberFlag(values, 'count', 0, { min: 1 })
  const timeoutMs = numberFlag(values, 'timeout', DEFAULT_CLI_TIMEOUT_MS, { min: 1 })

  const privateChannels = channels.filter((channel) => channel.startsWith('user.'))
  const privateWork = privateChannels.length > 0 ? `watching ${privateChannels.join(' ')}` : undefined
  await using target = await openTarget(stringFlag(values, 'url'), process.env, privateWork)
  const note = (text: string) => {
    if (!json || values.verbose) process.stderr.write(`# ${text}\n`)
  }
  const client = await connectClient(target, {
    timeoutMs,
    reconnect: true,
    ...(values.verbose ? { logger: stderrLogger() } : {}),
  })
  try {
    return await stream(client, known, { json, count, timeoutMs, note, target: target.description })
  } finally {
    await client.close()
  }
}

interface StreamOptions {
  json: boolean
  /** 0: no limit. */
  count: number
  timeoutMs: number
  note: (text: string) => void
  target: string
}

async function stream(client: DeribitClient, channels: ChannelName[], options: StreamOptions): Promise<number> {
  let stop: (code: number) => void = () => {}
  const stopped = new Promise<number>((resolve) => {
    stop = resolve
  })
  let seen = 0
  let writable = true
  const write = (line: string) => {
    if (!writable) return
    process.stdout.write(`${line}\n`)
  }
  const onNotification = (data: unknown, channel: string, label: string | undefined) => {
    if (!writable || (options.count > 0 && seen >= options.count)) return
    seen++
    write(
      options.json
        ? JSON.stringify(label === undefined ? { channel, data } : { channel, data, label })
        : formatNotification(channel, data),
    )
    if (options.count > 0 && seen >= options.count) stop(EXIT_OK)
  }
  // `watch … | head -3`: the reader went away, which is a normal way to stop.
  const onStdoutError = () => {
    writable = false
    stop(EXIT_OK)
  }
  const onSignal = () => stop(EXIT_OK)
  process.stdout.on('error', onStdoutError)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  client.on('gap', (event) => options.note(`gap on ${event.channel}: rebuilding from a fresh snapshot`))
  client.on('resubscribed', (event) =>
    options.note(`resubscribed ${event.channels.length} channel(s) after ${event.reason}`),
  )
  client.on('state', (state) => {
    if (state === 'reconnecting') options.note('connection lost; reconnecting')
  })
  client.on('revoked', (error) => {
    process.stderr.write(`deribit-session watch: the exchange revoked the session: ${messageOf(error)}\n`)
    stop(EXIT_FAILURE)
  })
  try {
    await client.subscribe(channels, onNotification, { timeoutMs: options.timeoutMs })
    options.note(`watching ${channels.join(' ')} on ${options.target} (Ctrl-C to stop)`)
    return await stopped
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    process.stdout.off('error', onStdoutError)
  }
}
