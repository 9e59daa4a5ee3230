/**
 * Messages between the benchmark's processes: the orchestrator (`run.ts`), the simulator
 * (`simServer.ts`) and one client process per run (`clients/*.ts`), all over Node's IPC channel.
 */

/** What `simServer.ts` prints on startup: where it listens and a main account with one subaccount. */
export interface SimInfo {
  url: string
  httpUrl: string
  clientId: string
  clientSecret: string
  mainAccountId: number
  subaccountIds: number[]
}

/** Commands the simulator process obeys. */
export type SimCommand =
  | { cmd: 'burstTrades'; instrument: string; count: number }
  /** `gapsAt`: indices (0-based, within the burst) before which one change_id is skipped. */
  | { cmd: 'burstBookChanges'; instrument: string; count: number; gapsAt?: number[] }
  | { cmd: 'tick'; steps?: number }
  | { cmd: 'drop'; mode?: 'close' | 'terminate' }
  | { cmd: 'createAccount'; subaccounts?: number }
  | { cmd: 'framesBetween'; fromMs: number; toMs: number }
  | { cmd: 'openConnections' }
  | { cmd: 'subscriptionsOf' }
  | { cmd: 'stats' }

/** The simulator's answer to one command. */
export type SimReply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string }

/** Result of `burstTrades` / `burstBookChanges`: how fast the simulator put them on the wire. */
export interface BurstResult {
  count: number
  notifications: number
  ms: number
}

/** One frame a client sent, as the simulator's connection log saw it. */
export interface SentFrame {
  connectionId: number
  at: number
  method: string
  bytes: number
}

/** The measures a client process can run. */
export type Measure = 'trades' | 'book' | 'rpc' | 'transitions' | 'memory'

/** Sizes of each measure; `--quick` shrinks them. */
export interface BenchConfig {
  tradeFrames: number
  warmupFrames: number
  bookChanges: number
  gapChanges: number
  gapsAt: number[]
  rpcSequential: number
  rpcPipelined: number
  rpcInFlight: number
  transitionSizes: number[]
  /** Repetitions of each transition per channel count (the median is kept). */
  transitionReps: number
  /** Repetitions of each transition run first and not kept (the code warms up). */
  transitionWarmups: number
  /** Private channels held while `switchSession` is timed against `exchangeToken`. */
  switchPrivateChannels: number
  memorySubscriptions: number
  memoryCycles: number
  memoryReconnects: number
}

/** Orchestrator → client: what to run. */
export interface StartMessage {
  type: 'start'
  measure: Measure
  config: BenchConfig
  sim: SimInfo
}

/** Client → orchestrator messages. */
export type ClientMessage =
  | { type: 'sim'; id: number; command: SimCommand }
  | { type: 'result'; result: Record<string, unknown> }
  | { type: 'error'; error: string }

/** Orchestrator → client: the simulator's answer to a relayed command. */
export interface SimRelayReply {
  type: 'simReply'
  reply: SimReply
}
