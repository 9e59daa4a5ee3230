/**
 * Market maker protection. An account sets limits per index (and optionally per MMP group):
 * when the fills of its MMP orders (orders entered with `mmp: true`, and every mass quote)
 * within `interval` seconds exceed the quantity, delta or trade-count limit, MMP triggers: those
 * orders are cancelled (`cancel_reason: mmp_trigger`), new MMP orders of that index and group
 * are refused for `frozen_time` seconds (until `reset_mmp` when 0), and
 * `user.mmp_trigger.{index_name}` tells the account. Vega is not modelled, so `vega_limit`
 * never trips.
 */
import { type EventSink, SimRpcError } from '../contract.js'
import type { MatchingEngine, OrderObserver } from './matchingEngine.js'
import { round8 } from './numbers.js'
import type { OrderRecord } from './orderRecord.js'

/** One MMP configuration, in `get_mmp_config`'s shape. */
export interface MmpConfig {
  index_name: string
  mmp_group?: string
  interval: number
  frozen_time: number
  quantity_limit?: number
  delta_limit?: number
  vega_limit?: number
  max_quote_quantity?: number
  trade_count_limit?: number
  block_rfq: boolean
}

interface MmpState {
  readonly accountId: number
  config: MmpConfig
  fills: Array<{ at: number; amount: number; delta: number }>
  /** Frozen until this time (ms); Infinity for a manual reset; 0 when not frozen. */
  frozenUntil: number
}

function keyOf(accountId: number, index: string, group: string | undefined): string {
  return `${accountId}|${index}|${group ?? ''}`
}

/** The signed delta of a fill in coin: options count half, inverse futures their USD over the price. */
function deltaOf(order: OrderRecord, amount: number, price: number): number {
  const sign = order.direction === 'buy' ? 1 : -1
  const spec = order.instrument
  if (spec.kind === 'option') return sign * amount * 0.5
  if (spec.instrument_type === 'reversed') return (sign * amount) / price
  return sign * amount
}

export class Mmp implements OrderObserver {
  private readonly states = new Map<string, MmpState>()
  /** `cancel_quotes` with `freeze_quotes`: the account's new quotes are refused until then. */
  private readonly quoteFreezes = new Map<number, number>()

  constructor(
    private readonly engine: MatchingEngine,
    private readonly sink: EventSink,
    private readonly now: () => number,
  ) {
    engine.observe(this)
  }

  /** Sets (interval > 0) or removes (interval 0) a configuration; setting one resets its freeze. */
  set(accountId: number, config: MmpConfig): void {
    const key = keyOf(accountId, config.index_name, config.mmp_group)
    if (config.interval === 0) {
      this.states.delete(key)
      return
    }
    this.states.set(key, { accountId, config, fills: [], frozenUntil: 0 })
  }

  /** The account's configurations, optionally of one index and group. */
  configs(accountId: number, index?: string, group?: string): MmpConfig[] {
    return [...this.states.values()]
      .filter(
        (s) =>
          s.accountId === accountId &&
          (index === undefined || index === 'all' || s.config.index_name === index) &&
          (group === undefined || s.config.mmp_group === group),
      )
      .map((s) => s.config)
  }

  /** Frozen configurations of the account: `{index_name, frozen_until, mmp_group}` (0 for manual reset). */
  status(accountId: number, index?: string, group?: string): Record<string, unknown>[] {
    const now = this.now()
    return [...this.states.values()]
      .filter((s) => s.accountId === accountId && s.frozenUntil > now)
      .filter((s) => index === undefined || index === 'all' || s.config.index_name === index)
      .filter((s) => group === undefined || s.config.mmp_group === group)
      .map((s) => ({
        index_name: s.config.index_name,
        frozen_until: Number.isFinite(s.frozenUntil) ? s.frozenUntil : 0,
        mmp_group: s.config.mmp_group ?? '',
      }))
  }

  /** Refuses the account's mass quotes for `ms`. */
  freezeQuotes(accountId: number, ms: number): void {
    this.quoteFreezes.set(accountId, this.now() + ms)
  }

  /** True while the account's mass quotes are refused after `cancel_quotes` with `freeze_quotes`. */
  quotesFrozen(accountId: number): boolean {
    return (this.quoteFreezes.get(accountId) ?? 0) > this.now()
  }

  /** Unfreezes; false when there is no such configuration. */
  reset(accountId: number, index: string, group: string | undefined): boolean {
    const state = this.states.get(keyOf(accountId, index, group))
    if (state === undefined) return false
    state.frozenUntil = 0
    state.fills = []
    return true
  }

  /** The configuration an MMP order of this account, index and group falls under, if any. */
  configFor(accountId: number, index: string, group: string | undefined): MmpConfig | undefined {
    return (this.states.get(keyOf(accountId, index, group)) ?? this.states.get(keyOf(accountId, 'all', group)))?.config
  }

  /** Refuses a new MMP order while its protection is frozen. */
  checkNotFrozen(accountId: number, index: string, group: string | undefined): void {
    const state = this.states.get(keyOf(accountId, index, group)) ?? this.states.get(keyOf(accountId, 'all', group))
    if (state !== undefined && state.frozenUntil > this.now())
      throw new SimRpcError(10001, 'error', { reason: 'mmp_frozen', param: 'mmp_group' })
  }

  filled(order: OrderRecord, amount: number): void {
    if (!order.mmp) return
    const group = order.quote?.mmpGroup
    const index = order.instrument.price_index
    const state =
      this.states.get(keyOf(order.accountId, index, group)) ?? this.states.get(keyOf(order.accountId, 'all', group))
    if (state === undefined || state.frozenUntil > this.now()) return
    const now = this.now()
    state.fills.push({ at: now, amount, delta: deltaOf(order, amount, order.price) })
    const since = now - state.config.interval * 1000
    state.fills = state.fills.filter((f) => f.at > since)
    const c = state.config
    const quantity = round8(state.fills.reduce((sum, f) => sum + f.amount, 0))
    const delta = Math.abs(state.fills.reduce((sum, f) => sum + f.delta, 0))
    const tripped =
      (c.quantity_limit !== undefined && quantity >= c.quantity_limit) ||
      (c.delta_limit !== undefined && delta >= c.delta_limit) ||
      (c.trade_count_limit !== undefined && state.fills.length >= c.trade_count_limit)
    if (!tripped) return
    state.frozenUntil = c.frozen_time === 0 ? Number.POSITIVE_INFINITY : now + c.frozen_time * 1000
    state.fills = []
    this.engine.defer(() => this.trigger(state, index, group))
  }

  closed(): void {}

  private trigger(state: MmpState, index: string, group: string | undefined): void {
    const hit = this.engine.cancelWhere(
      state.accountId,
      (o) => o.mmp && o.instrument.price_index === index && o.quote?.mmpGroup === group,
      'mmp_trigger',
    )
    for (const o of hit) o.mmpCancelled = true
    const data: Record<string, unknown> = {
      index_name: state.config.index_name,
      frozen_until: Number.isFinite(state.frozenUntil) ? state.frozenUntil : 0,
    }
    if (group !== undefined) data.mmp_group = group
    this.sink.publishAccount(state.accountId, `user.mmp_trigger.${state.config.index_name}`, data)
  }
}
