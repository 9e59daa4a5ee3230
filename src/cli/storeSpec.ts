import { stat } from 'node:fs/promises'
import { DeribitError } from '../errors.js'
import type { SessionStore } from '../session/sessionStore.js'
import { messageOf, UsageError } from './cliErrors.js'

/** Environment variable holding the default `--store` spec. */
export const ENV_STORE = 'DERIBIT_SESSION_STORE'
/** Environment variable holding the store's encryption key (32 bytes, base64), if it is encrypted. */
export const ENV_STORE_KEY = 'DERIBIT_STORE_KEY'

/** A store opened from a spec, with a description that never shows a password. */
export interface OpenedStore {
  store: SessionStore
  description: string
}

/**
 * Opens the session store a `--store` spec names: `file:PATH` (a {@link FileSessionStore}) or
 * `redis://[user:pass@]host[:port][/db][?prefix=P]` / `rediss://…` (a {@link RedisSessionStore}).
 * The encryption key, when the store is encrypted, comes from `DERIBIT_STORE_KEY`.
 * Throws a {@link UsageError} for any other spec, and an Error for a file that does not exist
 * (a typo must not read as an empty store) or a Redis store without ioredis installed. `from`
 * names where the spec came from, for messages (`--store` or `$DERIBIT_SESSION_STORE`).
 *
 * @example
 * const { store } = await openStoreSpec('file:.deribit-session/sessions.json', process.env)
 * console.log(await store.getAll())
 * await store.close()
 */
export async function openStoreSpec(spec: string, env: NodeJS.ProcessEnv, from = '--store'): Promise<OpenedStore> {
  const encryptionKey = env[ENV_STORE_KEY] ? { encryptionKey: env[ENV_STORE_KEY] } : {}
  if (spec.startsWith('file:')) {
    const path = spec.slice('file:'.length)
    if (path === '') throw new UsageError(`${from} file:PATH needs a path`)
    await mustExist(path, from)
    const { FileSessionStore } = await import('../stores/file.js')
    return { store: new FileSessionStore({ path, ...encryptionKey }), description: `file ${path}` }
  }
  if (spec.startsWith('redis://') || spec.startsWith('rediss://')) {
    let url: URL
    try {
      url = new URL(spec)
    } catch {
      throw new UsageError(`${from} redis URL is malformed; expected redis://host:port[/db]`)
    }
    const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0
    if (!Number.isInteger(db) || db < 0)
      throw new UsageError(`${from} redis URL: '${url.pathname.slice(1)}' is not a db number`)
    const prefix = url.searchParams.get('prefix')
    const { RedisSessionStore } = await importRedisStore()
    const store = new RedisSessionStore({
      redis: {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port === '' ? 6379 : Number(url.port),
        db,
        ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
        ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
        ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      },
      ...(prefix ? { keyPrefix: prefix } : {}),
      ...encryptionKey,
    })
    return { store, description: `redis ${url.protocol}//${url.host}/${db}` }
  }
  throw new UsageError(`${from} must be file:PATH or redis://HOST:PORT, got '${spec.split(':')[0]}:…'`)
}

async function mustExist(path: string, from: string): Promise<void> {
  try {
    await stat(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'no such file' : (code ?? messageOf(error))
    throw new Error(`no session store at ${path} (${why}); check ${from}`)
  }
}

/** The Redis store entry, or an Error saying to install ioredis (an optional peer dependency). */
async function importRedisStore(): Promise<typeof import('../stores/redis.js')> {
  try {
    return await import('../stores/redis.js')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && messageOf(error).includes("'ioredis'")) {
      throw new Error('the Redis session store needs the ioredis package: npm install ioredis')
    }
    throw error
  }
}

/**
 * A store's error in the CLI's terms: it names the environment variables the user sets
 * (`DERIBIT_STORE_KEY`) instead of the library's option (`encryptionKey`).
 *
 * @example
 * try { await store.getAll() } catch (error) { throw explainStoreError(error, process.env) }
 */
export function explainStoreError(error: unknown, env: NodeJS.ProcessEnv): unknown {
  if (!(error instanceof DeribitError) || error.code !== 'STORE_KEY') return error
  if (!env[ENV_STORE_KEY]) {
    return new Error(`the store is encrypted: set ${ENV_STORE_KEY} to its key (32 bytes, base64)`)
  }
  const detail = error.message
    .replace(/\bthe encryption key\b/g, ENV_STORE_KEY)
    .replace(/\ban encryptionKey was given\b/g, `${ENV_STORE_KEY} is set`)
    .replace(/\bencryptionKey\b/g, ENV_STORE_KEY)
    .replace(/ \(a Uint8Array or a base64 string of \d+ bytes\)/, ' as base64')
  return new Error(detail.includes(ENV_STORE_KEY) ? detail : `${ENV_STORE_KEY} does not open this store: ${detail}`)
}
