/** Small helpers the Redis test deployments (Sentinel, Cluster) use to wait for a state. */
import { Redis } from 'ioredis'

/** Polls `probe` every 50 ms until it returns something (a throw counts as nothing yet). */
export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe().catch(() => undefined)
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Runs `fn` on a one-off connection to the server on `port`, closed after. */
export async function withConnection<T>(port: number, fn: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  })
  redis.on('error', () => undefined)
  try {
    await redis.connect()
    return await fn(redis)
  } finally {
    redis.disconnect()
  }
}
