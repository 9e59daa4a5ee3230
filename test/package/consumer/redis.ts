// A consumer of the Redis store, with ioredis installed beside the package.
import {
  DEFAULT_REDIS_KEY_PREFIX,
  RedisSessionStore,
  type RedisSessionStoreOptions,
} from 'deribit-session/stores/redis'

const options: RedisSessionStoreOptions = { redis: { host: '127.0.0.1', port: 6379 } }
export const redisStore = (): RedisSessionStore => new RedisSessionStore(options)
export const prefix: string = DEFAULT_REDIS_KEY_PREFIX
