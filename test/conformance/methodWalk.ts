/**
 * Walks every method of the generated table against a running simulator, over WebSocket and HTTP,
 * with valid params, and classifies each answer. Which methods the simulator implements is read
 * from its answers (-32601 means not simulated), so the walk grows with the simulator.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { METHOD_TABLE } from '../../src/protocol/generated/methodTable.js'
import type { MethodSpec } from '../../src/protocol/specTable.js'
import { NOT_SIMULATED_CODE } from '../../src/simulator/contract.js'
import type { Simulator } from '../../src/simulator/index.js'
import { SPEC_TEXT_DEFECTS } from './knownGaps.js'
import { paramsFor, type RecipeContext } from './methodParams.js'
import { httpCall, WsRpc } from './rpcClients.js'
import { exampleDefects, responseMismatches } from './specSchemas.js'

type Json = Record<string, unknown>

/** How one method answered over one transport. */
export interface MethodCheck {
  method: string
  transport: 'ws' | 'http'
  /**
   * `not-simulated`: -32601. `ws-only`: a WebSocket-only method refused over HTTP with 10030.
   * `closed`: logout closed the socket with no answer, as documented. `valid`: a result matching
   * the response schema, up to the spec's own known defects. `invalid`: a result that does not.
   * `error`: an error answer to valid params.
   */
  status: 'not-simulated' | 'ws-only' | 'closed' | 'valid' | 'invalid' | 'error'
  /** The error object (`error`), or what was seen instead of the expected answer. */
  detail?: unknown
  /** Schema mismatches beyond the spec's known defects (`invalid`). */
  mismatches: string[]
  /** Mismatches the spec's own example shows too: tolerated, listed for the record. */
  tolerated: string[]
}

const TABLE = METHOD_TABLE as Readonly<Record<string, MethodSpec>>
const DEFECTS = exampleDefects('methods')

/** A success response's schema mismatches, split into the spec's own known defects and the rest. */
export function judgeResponse(method: string, frame: Json): { mismatches: string[]; tolerated: string[] } {
  const known = new Set([...(DEFECTS.get(method) ?? []), ...SPEC_TEXT_DEFECTS])
  const all = responseMismatches(method, frame)
  return { mismatches: all.filter((m) => !known.has(m)), tolerated: all.filter((m) => known.has(m)) }
}

function classify(method: string, transport: 'ws' | 'http', frame: Json | undefined): MethodCheck {
  const base = { method, transport, mismatches: [], tolerated: [] }
  const error = frame?.error as { code?: number; message?: string } | undefined
  // -32601: not implemented; NOT_SIMULATED_CODE `not_simulated`: deliberately left out (README).
  if (error?.code === -32601 || (error?.code === NOT_SIMULATED_CODE && error.message === 'not_simulated'))
    return { ...base, status: 'not-simulated' }
  const spec = TABLE[method]
  if (transport === 'http' && spec?.wsOnly) {
    return error?.code === 10030 ? { ...base, status: 'ws-only' } : { ...base, status: 'error', detail: frame }
  }
  if (error !== undefined || frame === undefined || !('result' in frame)) {
    return { ...base, status: 'error', detail: error ?? frame ?? 'no answer' }
  }
  const { mismatches, tolerated } = judgeResponse(method, frame)
  return { ...base, status: mismatches.length === 0 ? 'valid' : 'invalid', mismatches, tolerated }
}

/** Authenticates `ws` with the account's API key. */
export async function authenticate(ws: WsRpc, ctx: Pick<RecipeContext, 'clientId' | 'clientSecret'>): Promise<Json> {
  return (await ws.result('public/auth', {
    grant_type: 'client_credentials',
    client_id: ctx.clientId,
    client_secret: ctx.clientSecret,
  })) as Json
}

async function overWs(sim: Simulator, method: string, base: Omit<RecipeContext, 'refreshToken'>): Promise<MethodCheck> {
  const ws = await WsRpc.open(sim.url)
  try {
    // A session-scoped token, so methods that need one (fork_token) get it.
    const auth = (await ws.result('public/auth', {
      grant_type: 'client_credentials',
      client_id: base.clientId,
      client_secret: base.clientSecret,
      scope: 'session:conformance_ws',
    })) as Json
    const params = await paramsFor(method, { ...base, refreshToken: String(auth.refresh_token) })
    if (TABLE[method]?.response === undefined) {
      // Logout: no answer at all, and the socket closes normally.
      const frame = await ws.call(method, params)
      if (frame?.error !== undefined) return classify(method, 'ws', frame)
      const code = await Promise.race([ws.closed, sleep(5000, 'still open')])
      const ok = frame === undefined && code === 1000
      return {
        method,
        transport: 'ws',
        status: ok ? 'closed' : 'error',
        detail: { frame, code },
        mismatches: [],
        tolerated: [],
      }
    }
    return classify(method, 'ws', await ws.call(method, params))
  } finally {
    await ws.close()
  }
}

async function overHttp(
  sim: Simulator,
  method: string,
  base: Omit<RecipeContext, 'refreshToken'>,
): Promise<MethodCheck> {
  const auth = await httpCall(sim.httpUrl, 'public/auth', {
    grant_type: 'client_credentials',
    client_id: base.clientId,
    client_secret: base.clientSecret,
    scope: 'session:conformance_http',
  })
  const tokens = auth.result as Json
  if (tokens === undefined) throw new Error(`public/auth over HTTP failed: ${JSON.stringify(auth.error)}`)
  const params = await paramsFor(method, { ...base, refreshToken: String(tokens.refresh_token) })
  return classify(method, 'http', await httpCall(sim.httpUrl, method, params, String(tokens.access_token)))
}

/** A deposit address of a second user, if the simulator makes them. */
export async function otherUserAddress(sim: Simulator): Promise<string | undefined> {
  const other = sim.createAccount()
  const ws = await WsRpc.open(sim.url)
  try {
    await authenticate(ws, other)
    const frame = await ws.call('private/create_deposit_address', { currency: 'BTC' })
    const address = (frame?.result as Json | undefined)?.address
    return typeof address === 'string' ? address : undefined
  } finally {
    await ws.close()
  }
}

let heldDeposits = 0

/**
 * What every recipe may use, for `account` with `setup` authenticated on it: the other user's
 * address, the account's credentials and ids, the time, and a way to make a held deposit.
 */
export async function recipeBase(
  sim: Simulator,
  account: ReturnType<Simulator['createAccount']>,
  setup: WsRpc,
): Promise<Omit<RecipeContext, 'refreshToken'>> {
  return {
    setup,
    otherUserAddress: await otherUserAddress(sim),
    clientId: account.clientId,
    clientSecret: account.clientSecret,
    subaccountId: account.subaccountIds[0] ?? account.mainAccountId,
    now: Number(await setup.result('public/get_time')),
    heldDeposit: async () => {
      // From an outside wallet the account never declared: it waits for its originator.
      sim.deposit(account.mainAccountId, 'BTC', 0.5, `outside-wallet-${++heldDeposits}`)
      const page = (await setup.result('private/get_deposits', { currency: 'BTC', count: 1 })) as { data: Json[] }
      const [d] = page.data
      return { currency: 'BTC', user_id: account.mainAccountId, address: d?.address, tx_hash: d?.transaction_id }
    },
  }
}

/** Calls every method of the table (or `only` those) on both transports, one after another. */
export async function walkMethods(sim: Simulator, only?: readonly string[]): Promise<MethodCheck[]> {
  const account = sim.createAccount({ subaccounts: 1 })
  // An announcement, so set_announcement_as_read has one to mark.
  sim.announce('Conformance', 'A walk of every method')
  // A custody account, so list_custody_accounts has one to describe.
  sim.linkCustodyAccount(account.mainAccountId, { currency: 'BTC', name: 'copper', balance: 1, autoDeposit: true })
  const setup = await WsRpc.open(sim.url)
  const checks: MethodCheck[] = []
  try {
    await authenticate(setup, account)
    const base = await recipeBase(sim, account, setup)
    // A position and a fill, so the account's read methods have something to show.
    await setup.result('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })
    for (const method of only ?? Object.keys(TABLE)) {
      checks.push(await overWs(sim, method, base))
      checks.push(await overHttp(sim, method, base))
    }
  } finally {
    await setup.close()
  }
  return checks
}
