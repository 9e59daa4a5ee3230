/**
 * `deribit-session/stores/redis`: a session store in Redis, shared by every process and machine
 * using it. It needs the `ioredis` package, an optional peer dependency: `npm install ioredis`.
 * A separate entry point so the main entry never loads ioredis.
 */

export type { EncryptionKey } from '../session/stores/recordCipher.js'
export * from '../session/stores/redisSessionStore.js'
