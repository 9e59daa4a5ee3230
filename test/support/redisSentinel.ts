/**
 * A throwaway Sentinel deployment for tests: a master, one replica and three sentinels
 * (Debian's `redis-sentinel`), all on free loopback ports, with timeouts small enough that a
 * killed master is replaced in a second or two. Stopped by pid, its temp dir removed.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { until, withConnection } from './redisProbe.js'
import { freePort, type RedisServer, startRedisServer } from './redisServer.js'

/** The master name the sentinels watch. */
export const SENTINEL_MASTER_NAME = 'deribit-test'

/** A running Sentinel deployment. */
export interface RedisSentinelGroup {
  /** Where clients find the sentinels: `{ sentinels, name }` as ioredis takes them. */
  readonly sentinels: ReadonlyArray<{ host: string; port: number }>
  readonly name: string
  /** The port of the master the sentinels name now. */
  masterPort(): Promise<number>
  /** SIGKILLs the current master (it stays down); resolves with its port. */
  killMaster(): Promise<number>
  /** Resolves once the sentinels name a master other than `oldPort` and it accepts writes. */
  waitForNewMaster(oldPort: number, timeoutMs?: number): Promise<number>
  /** Stops every process and removes the temp dir. */
  stop(): Promise<void>
}

/** Starts the deployment and resolves once the sentinels know the replica and each other. */
export async function startRedisSentinel(): Promise<RedisSentinelGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-sentinel-'))
  const servers = new Map<number, RedisServer>()
  const started: RedisServer[] = []
  try {
    const master = await startRedisServer()
    started.push(master)
    servers.set(master.port, master)
    const replica = await startRedisServer({ args: ['--replicaof', '127.0.0.1', String(master.port)] })
    started.push(replica)
    servers.set(replica.port, replica)
    await until('the replica to sync', 10_000, () =>
      withConnection(replica.port, async (r) =>
        (await r.info('replication')).includes('master_link_status:up') ? true : undefined,
      ),
    )
    const sentinelPorts = await Promise.all([freePort(), freePort(), freePort()])
    for (const port of sentinelPorts) {
      const configFile = join(dir, `sentinel-${port}.conf`)
      writeFileSync(
        configFile,
        [
          `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 600`,
          `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 3000`,
          `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
          '',
        ].join('\n'),
      )
      started.push(await startRedisServer({ port, configFile, binary: 'redis-sentinel' }))
    }
    // A failover needs a quorum that knows the replica and a majority that knows each other.
    for (const port of sentinelPorts) {
      await until('the sentinels to find the replica and each other', 15_000, () =>
        withConnection(port, async (r) => {
          const [info] = (await r.call('SENTINEL', 'MASTERS')) as string[][]
          const fields = new Map<string, string>()
          for (let i = 0; info !== undefined && i + 1 < info.length; i += 2)
            fields.set(info[i] as string, info[i + 1] as string)
          return fields.get('num-slaves') === '1' && fields.get('num-other-sentinels') === '2' ? true : undefined
        }),
      )
    }
    const masterPort = () =>
      until('a sentinel to name the master', 5_000, async () => {
        for (const port of sentinelPorts) {
          const answer = await withConnection(port, (r) =>
            r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME),
          ).catch(() => undefined)
          if (Array.isArray(answer)) return Number(answer[1])
        }
        return undefined
      })
    return {
      sentinels: sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
      name: SENTINEL_MASTER_NAME,
      masterPort,
      async killMaster() {
        const port = await masterPort()
        await servers.get(port)?.stop('SIGKILL')
        return port
      },
      waitForNewMaster(oldPort, timeoutMs = 15_000) {
        return until('the sentinels to promote the replica', timeoutMs, async () => {
          const port = await masterPort()
          if (port === oldPort) return undefined
          const role = await withConnection(port, (r) => r.call('ROLE'))
          return Array.isArray(role) && role[0] === 'master' ? port : undefined
        })
      },
      async stop() {
        await Promise.all(started.map((s) => s.stop('SIGKILL')))
        rmSync(dir, { recursive: true, force: true })
      },
    }
  } catch (error) {
    await Promise.all(started.map((s) => s.stop('SIGKILL')))
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
}
