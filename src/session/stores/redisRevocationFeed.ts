import { Cluster, type Redis } from 'ioredis'
import { keylessTargets, type RedisConnection } from './redisHandle.js'
import type { RevocationEvent, RevocationListeners } from './revocationListeners.js'

/** Pause before a Cluster subscriber tries another node. */
const RESELECT_MS = 100
/** Pause before a Cluster catch-up scan that failed on a node is tried again. */
const SCAN_RETRY_MS = 300

/** Glob-escapes `text` for SCAN MATCH. */
const globEscape = (text: string) => text.replace(/[*?[\]\\]/g, '\\$&')

/** Reads a `revoked:<name>` value (`<until>,<at>`). */
export function parseRevocationValue(name: string, value: string): RevocationEvent | undefined {
  const [until, at] = value.split(',').map(Number)
  if (until === undefined || at === undefined || !Number.isFinite(until) || !Number.isFinite(at)) return undefined
  return { sessionName: name, revokedAt: at, revokedUntil: until }
}

/** What a {@link RedisRevocationFeed} needs from its store. */
export interface RedisRevocationFeedOptions {
  /** The store's command connection (scans run on it). */
  readonly redis: RedisConnection
  /** The pub/sub channel revocations are published on. */
  readonly channel: string
  /** Every revocation key starts with this (`<prefix>revoked:`). */
  readonly revokedKeyHead: string
  readonly listeners: RevocationListeners
  readonly now: () => number
}

/**
 * Hears revocations for a Redis store: a dedicated subscriber connection, and after every
 * (re)subscribe a scan of the revocation keys, so one published while it was away (a restart,
 * a failover) is still heard. On one server or through Sentinel the subscriber follows the
 * master as ioredis reconnects; on a Cluster it listens on any node (PUBLISH reaches them all)
 * and moves to another node when its own goes.
 */
export class RedisRevocationFeed {
  readonly #options: RedisRevocationFeedOptions
  #subscriber: Redis | undefined
  #reselect: NodeJS.Timeout | undefined
  #retryScan: NodeJS.Timeout | undefined
  /** A catch-up scan is owed for when the main connection is back. */
  #catchUpOwed = false
  #closed = false

  constructor(options: RedisRevocationFeedOptions) {
    this.#options = options
  }

  /** Starts listening (idempotent). */
  start(): void {
    if (this.#closed || this.#subscriber !== undefined || this.#reselect !== undefined) return
    const main = this.#options.redis
    if (main instanceof Cluster) this.#subscribeToSomeNode(main)
    else {
      this.#attach(
        main.duplicate({
          // Subscribing is idempotent, so a queued SUBSCRIBE is safe; we resubscribe ourselves on
          // every 'ready' so the catch-up scan can run after the subscription is in place.
          enableOfflineQueue: true,
          autoResubscribe: false,
          maxRetriesPerRequest: null,
          lazyConnect: false,
        }),
      )
    }
  }

  /** The main connection is ready again: run a scan that could not run while it was away. */
  mainReady(): void {
    if (this.#catchUpOwed) void this.#catchUp()
  }

  /** Stops listening and releases the subscriber. */
  close(): void {
    this.#closed = true
    clearTimeout(this.#reselect)
    clearTimeout(this.#retryScan)
    this.#reselect = undefined
    this.#retryScan = undefined
    this.#subscriber?.disconnect()
    this.#subscriber = undefined
  }

  #attach(subscriber: Redis): void {
    this.#subscriber = subscriber
    const { channel } = this.#options
    subscriber.on('error', () => undefined)
    subscriber.on('message', (from: string, message: string) => {
      if (from === channel) this.#onMessage(message)
    })
    subscriber.on('ready', () => {
      subscriber.subscribe(channel).then(
        () => this.#catchUp(),
        () => undefined,
      )
    })
  }

  /** A Cluster: one plain connection to a live node, replaced by another when it ends. */
  #subscribeToSomeNode(cluster: Cluster): void {
    const nodes = cluster.nodes('all')
    const ready = nodes.filter((n) => n.status === 'ready')
    const pool = ready.length > 0 ? ready : nodes
    const node = pool[Math.floor(Math.random() * pool.length)]
    if (node === undefined) {
      this.#reselectLater(cluster)
      return
    }
    // Not ioredis's reconnect: when this node goes, another node is the better bet.
    const subscriber = node.duplicate({
      retryStrategy: () => null,
      enableOfflineQueue: true,
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      lazyConnect: false,
    })
    this.#attach(subscriber)
    subscriber.once('end', () => {
      if (this.#subscriber !== subscriber) return
      this.#subscriber = undefined
      this.#reselectLater(cluster)
    })
  }

  #reselectLater(cluster: Cluster): void {
    if (this.#closed) return
    this.#reselect = setTimeout(() => {
      this.#reselect = undefined
      if (!this.#closed) this.#subscribeToSomeNode(cluster)
    }, RESELECT_MS)
  }

  #onMessage(message: string): void {
    try {
      const value: unknown = JSON.parse(message)
      if (typeof value !== 'object' || value === null) return
      const { name, at, until } = value as Record<string, unknown>
      if (typeof name !== 'string' || typeof at !== 'number' || typeof until !== 'number') return
      this.#options.listeners.deliver({ sessionName: name, revokedAt: at, revokedUntil: until }, true)
    } catch {
      // Someone else's message on our channel: not a revocation.
    }
  }

  /** Delivers revocations already recorded (made while the subscriber was connecting or away). */
  async #catchUp(): Promise<void> {
    if (this.#closed) return
    const { redis, revokedKeyHead: head, listeners, now } = this.#options
    // The scan runs on the main connection; after a restart it may come back after the
    // subscriber, so the scan is owed until then.
    this.#catchUpOwed = true
    if (redis.status !== 'ready') return
    this.#catchUpOwed = false
    let failed = false
    for (const server of keylessTargets(redis)) {
      try {
        let cursor = '0'
        do {
          const [next, keys] = await server.scan(cursor, 'MATCH', `${globEscape(head)}*`, 'COUNT', 200)
          cursor = next
          if (keys.length === 0) continue
          const values = await server.mget(...keys)
          const at = now()
          keys.forEach((key, i) => {
            const value = values[i]
            const event = typeof value === 'string' ? parseRevocationValue(key.slice(head.length), value) : undefined
            if (event !== undefined && event.revokedUntil > at) listeners.deliver(event, false)
          })
        } while (cursor !== '0')
      } catch {
        failed = true
      }
    }
    if (!failed) return
    // Redis went away again: scan when the main connection is back. A Cluster stays 'ready'
    // through a node's failover, so it gets no 'ready' to wait for: try again shortly instead.
    this.#catchUpOwed = true
    if (redis instanceof Cluster && !this.#closed && this.#retryScan === undefined) {
      this.#retryScan = setTimeout(() => {
        this.#retryScan = undefined
        this.mainReady()
      }, SCAN_RETRY_MS)
    }
  }
}
