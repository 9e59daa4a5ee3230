import type { SessionStore, StoredSession } from '../session/sessionStore.js'
import { EXIT_FAILURE, EXIT_OK, UsageError } from './cliErrors.js'
import { numberFlag, parseFlags, stringFlag } from './flags.js'
import { ENV_STORE, ENV_STORE_KEY, explainStoreError, openStoreSpec } from './storeSpec.js'

/**
 * How long `sessions revoke` refuses the name by default: long enough that a process still
 * refreshing the session cannot write it back, short enough that the name can be reused the
 * next day.
 */
export const DEFAULT_REVOKE_TTL_SEC = 3600

/** `deribit-session sessions --help`. */
export const SESSIONS_HELP = `Usage: deribit-session sessions <list|show|revoke> [args] --store SPEC [options]

Inspects and revokes the named sessions bots keep in a session store. Tokens are never printed.

Subcommands:
  list               Every live stored session, one per line
  show <id>          One session's context and metadata as JSON
  revoke <name>      Delete every session with that name and refuse to store it again for --ttl
                     seconds; every process watching the store hears of it

Options:
  --store SPEC       file:PATH or redis://[user:pass@]host[:port][/db][?prefix=P]
                     (default: $${ENV_STORE}); encrypted stores need $${ENV_STORE_KEY}
  --name NAME        list: only sessions with this name
  --json             list: one JSON array instead of lines
  --ttl SEC          revoke: how long the name stays refused (default ${DEFAULT_REVOKE_TTL_SEC})
  -h, --help         Show this help

Examples:
  deribit-session sessions list --store file:.deribit-session/sessions.json
  deribit-session sessions show 3f2a9c1e-… --store redis://localhost:6379
  deribit-session sessions revoke bot --ttl 86400 --store redis://localhost:6379
`

/**
 * `deribit-session sessions list|show|revoke`: reads or revokes the sessions in a file or Redis
 * session store. Resolves with the exit code.
 *
 * @example
 * // deribit-session sessions revoke bot --store file:/tmp/sessions.json
 * process.exitCode = await runSessions(['revoke', 'bot', '--store', 'file:/tmp/sessions.json'])
 */
export async function runSessions(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseFlags('sessions', argv, {
    store: { type: 'string' },
    name: { type: 'string' },
    json: { type: 'boolean' },
    ttl: { type: 'string' },
  })
  if (values.help) {
    process.stdout.write(SESSIONS_HELP)
    return EXIT_OK
  }
  const [sub, arg, ...extra] = positionals
  if (sub === undefined) throw new UsageError('sessions needs a subcommand: list, show <id> or revoke <name>')
  if (sub !== 'list' && sub !== 'show' && sub !== 'revoke') {
    throw new UsageError(`unknown sessions subcommand '${sub}' (list, show <id>, revoke <name>)`)
  }
  if (sub === 'list' ? arg !== undefined : arg === undefined || extra.length > 0) {
    throw new UsageError(
      sub === 'list'
        ? 'sessions list takes no argument'
        : `sessions ${sub} needs exactly one ${sub === 'show' ? 'id' : 'name'}`,
    )
  }
  const ttlSec = numberFlag(values, 'ttl', DEFAULT_REVOKE_TTL_SEC, { min: 0 })
  const flag = stringFlag(values, 'store')
  const spec = flag ?? process.env[ENV_STORE]
  if (spec === undefined || spec === '')
    throw new UsageError(`sessions needs --store file:PATH or redis://… (or $${ENV_STORE})`)

  let opened: Awaited<ReturnType<typeof openStoreSpec>>
  try {
    opened = await openStoreSpec(spec, process.env, flag === undefined ? `$${ENV_STORE}` : '--store')
  } catch (error) {
    throw explainStoreError(error, process.env)
  }
  const { store, description } = opened
  try {
    switch (sub) {
      case 'list':
        return await list(store, { name: stringFlag(values, 'name'), json: values.json === true })
      case 'show':
        return await show(store, arg as string, description)
      case 'revoke':
        return await revoke(store, arg as string, ttlSec, description)
    }
  } catch (error) {
    throw explainStoreError(error, process.env)
  } finally {
    await store.close()
  }
}

async function list(store: SessionStore, options: { name: string | undefined; json: boolean }): Promise<number> {
  const sessions = await store.getAll(options.name === undefined ? {} : { sessionName: options.name })
  sessions.sort((a, b) => a.context.createdAt - b.context.createdAt)
  if (options.json) {
    process.stdout.write(`${JSON.stringify(sessions.map(describeSession))}\n`)
    return EXIT_OK
  }
  if (sessions.length === 0) {
    process.stderr.write('no stored sessions\n')
    return EXIT_OK
  }
  for (const session of sessions) process.stdout.write(`${sessionLine(session)}\n`)
  return EXIT_OK
}

async function show(store: SessionStore, id: string, description: string): Promise<number> {
  const session = await store.get(id)
  if (session === undefined) {
    process.stderr.write(`deribit-session sessions: no live session ${id} in ${description}\n`)
    return EXIT_FAILURE
  }
  process.stdout.write(`${JSON.stringify(describeSession(session), null, 2)}\n`)
  return EXIT_OK
}

async function revoke(store: SessionStore, name: string, ttlSec: number, description: string): Promise<number> {
  const before = await store.getAll({ sessionName: name })
  await store.revoke(name, ttlSec)
  process.stdout.write(
    `revoked session name '${name}' in ${description}: ${before.length} stored session(s) removed, name refused for ${ttlSec} s\n`,
  )
  return EXIT_OK
}

/**
 * What the CLI shows of a stored session: every fact but the tokens (built field by field, so a
 * token can never slip in through a spread).
 */
function describeSession({ context, metadata }: StoredSession): Record<string, unknown> {
  return {
    id: context.id,
    sessionName: context.sessionName,
    subjectId: context.subjectId,
    clientId: metadata.clientId,
    scope: context.scope,
    transition: context.transition,
    active: context.active,
    lockVersion: context.lockVersion,
    prevId: context.prevId,
    createdAt: iso(context.createdAt),
    expiresAt: iso(context.expiresAt),
    lastRefreshedAt: iso(metadata.lastRefreshedAt),
    lastCallAt: iso(metadata.lastCallAt),
    refreshExpiresAt: iso(metadata.refreshExpiresAt),
  }
}

function sessionLine({ context, metadata }: StoredSession): string {
  const remainingSec = Math.round((context.expiresAt - Date.now()) / 1000)
  return [
    context.id,
    `name=${context.sessionName ?? '-'}`,
    context.subjectId === undefined ? 'main' : `subject=${context.subjectId}`,
    `key=${metadata.clientId}`,
    `created=${iso(context.createdAt)}`,
    remainingSec > 0 ? `access expires in ${remainingSec}s` : 'access expired',
    context.active ? 'active' : 'inactive',
  ].join('  ')
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString()
}
