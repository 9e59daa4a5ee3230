/**
 * A throwaway Redis Cluster for tests: three masters and one replica each
 * (`redis-server --cluster-enabled yes`, joined by `redis-cli --cluster create`), on free
 * loopback ports, with a short node timeout so a killed master's replica takes over in a
 * second or two. Stopped by pid, its temp dir removed.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Cluster } from 'ioredis'
import { until, withConnection } from './redisProbe.js'
import { type RedisServer, startRedisServer } from './redisServer.js'

/** A running cluster. */
export interface RedisClusterGroup {
  /** Startup nodes for an ioredis `Cluster`. */
  readonly nodes: ReadonlyArray<{ host: string; port: number }>
  /** The port of the master that owns `key`'s slot now. */
  ownerOf(key: string): Promise<number>
  /** SIGKILLs the node on `port` (it stays down). */
  kill(port: number): Promise<void>
  /** Resolves once a node other than `oldPort` owns `key`'s slot and the cluster says ok. */
  waitForNewOwner(key: string, oldPort: number, timeoutMs?: number): Promise<number>
  /** A Cluster client as the store needs it (no offline queue); the caller disconnects it. */
  client(): Cluster
  /** Stops every node and removes the temp dir. */
  stop(): Promise<void>
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    child.stdout.on('data', (c: Buffer) => {
      output += c.toString()
    })
    child.stderr.on('data', (c: Buffer) => {
      output += c.toString()
    })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`${command} failed:\n${output}`))))
  })
}

/** The master port owning `key`'s slot, as the node on `askPort` sees it. */
async function ownerSeenBy(askPort: number, key: string): Promise<number | undefined> {
  return withConnection(askPort, async (r) => {
    const slot = Number(await r.call('CLUSTER', 'KEYSLOT', key))
    const ranges = (await r.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number, ...unknown[]]]>
    const range = ranges.find(([from, to]) => slot >= from && slot <= to)
    return range === undefined ? undefined : Number(range[2][1])
  })
}

/** Starts six nodes, builds the cluster and resolves once every node says `cluster_state:ok`. */
export async function startRedisCluster(): Promise<RedisClusterGroup> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-cluster-'))
  const servers = new Map<number, RedisServer>()
  const stopAll = async () => {
    await Promise.all([...servers.values()].map((s) => s.stop('SIGKILL')))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const started = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        startRedisServer({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, `nodes-${i}.conf`),
            '--cluster-node-timeout',
            '700',
            // Any replica may take over however long it was cut off: a test kills on purpose.
            '--cluster-replica-validity-factor',
            '0',
            '--cluster-require-full-coverage',
            'no',
            '--dir',
            dir,
          ],
        }),
      ),
    )
    for (const server of started) servers.set(server.port, server)
    const addresses = started.map((s) => `127.0.0.1:${s.port}`)
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '1', '--cluster-yes'])
    const ports = started.map((s) => s.port)
    for (const port of ports) {
      await until('the cluster to agree', 15_000, () =>
        withConnection(port, async (r) => {
          const info = String(await r.call('CLUSTER', 'INFO'))
          if (!info.includes('cluster_state:ok')) return undefined
          const replication = await r.info('replication')
          return replication.includes('role:master') || replication.includes('master_link_status:up') ? true : undefined
        }),
      )
    }
    const live = () => [...servers.keys()]
    const ownerOf = (key: string) =>
      until(`an owner of ${key}`, 5_000, async () => {
        for (const port of live()) {
          const owner = await ownerSeenBy(port, key).catch(() => undefined)
          if (owner !== undefined) return owner
        }
        return undefined
      })
    return {
      nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      ownerOf,
      async kill(port) {
        await servers.get(port)?.stop('SIGKILL')
        servers.delete(port)
      },
      waitForNewOwner(key, oldPort, timeoutMs = 15_000) {
        return until(`a new owner of ${key}`, timeoutMs, async () => {
          const owner = await ownerOf(key)
          if (owner === oldPort) return undefined
          const state = await withConnection(owner, async (r) => String(await r.call('CLUSTER', 'INFO')))
          return state.includes('cluster_state:ok') ? owner : undefined
        })
      },
      client() {
        return new Cluster(
          ports.map((port) => ({ host: '127.0.0.1', port })),
          { enableOfflineQueue: false, redisOptions: { commandTimeout: 2_000 } },
        )
      },
      stop: stopAll,
    }
  } catch (error) {
    await stopAll()
    throw error
  }
}
