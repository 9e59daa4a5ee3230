import type { SessionStore } from '../session/sessionStore.js'
import { UsageError } from './cliErrors.js'

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
 * Throws a {@link UsageError} for any other spec.
 *
 * @example
 * const { store } = await openStoreSpec('file:.deribit-session/sessions.json', process.env)
 * console.log(await store.getAll())
 * await store.close()
 */
export async function openStoreSpec(spec: string, env: NodeJS.ProcessEnv): Promise<OpenedStore> {
  const encryptionKey = env[ENV_STORE_KEY] ? { encryptionKey: env[ENV_STORE_KEY] } : {}
  if (spec.startsWith('file:')) {
    const path = spec.slice('file:'.length)
    if (path === '') throw new UsageError('--store file:PATH needs a path')
    const { FileSessionStore } = await import('../stores/file.js')
    return { store: new FileSessionStore({ path, ...encryptionKey }), description: `file ${path}` }
  }
  if (spec.startsWith('redis://') || spec.startsWith('rediss://')) {
    let url: URL
    try {
      url = new URL(spec)
    } catch {
      throw new UsageError('--store redis URL is malformed; expected redis://host:port[/db]')
    }
    const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0
    if (!Number.isInteger(db) || db < 0)
      throw new UsageError(`--store redis URL: '${url.pathname.slice(1)}' is not a db number`)
    const prefix = url.searchParams.get('prefix')
    const { RedisSessionStore } = await import('../stores/redis.js')
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
  throw new UsageError(`--store must be file:PATH or redis://HOST:PORT, got '${spec.split(':')[0]}:…'`)
}
