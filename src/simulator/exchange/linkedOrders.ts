/**
 * Linked orders. OTO: the secondaries wait (untriggered) until the primary trades, then are
 * placed. OCO: all orders are live at once and a trade in one cancels the others. OTOCO: an
 * OTO whose two secondaries, once placed, cancel each other. `trigger_fill_condition` says
 * which trade counts: `first_hit` any, `complete_fill` only the one that fills the order,
 * `incremental` each trade, for its share (placing or cancelling that much of the others,
 * rounded down to the instrument's amount step).
 */
import type { LinkGroup, LinkRole } from './linkRole.js'
import type { MatchingEngine, OrderObserver } from './matchingEngine.js'
import { floorToStep, round8 } from './numbers.js'
import { isLive, type OrderRecord } from './orderRecord.js'

/** Joins orders the engine placed into a group and returns it. */
export function linkGroup(
  type: LinkGroup['type'],
  condition: LinkGroup['condition'],
  primary: OrderRecord,
  secondaries: OrderRecord[],
): LinkGroup {
  const group: LinkGroup = {
    type,
    condition,
    primary,
    secondaries,
    requested: new Map(secondaries.map((o) => [o, o.amount])),
    ocoRef: type === 'one_triggers_other' ? undefined : `OCO-${primary.id}`,
    activated: false,
  }
  const role = (r: LinkRole['role']): LinkRole => ({ group, role: r })
  primary.link = role('primary')
  for (const o of secondaries) o.link = role('secondary')
  return group
}

/** Reacts to fills and closings of linked orders. */
export class LinkedOrders implements OrderObserver {
  constructor(private readonly engine: MatchingEngine) {
    engine.observe(this)
  }

  filled(order: OrderRecord, amount: number): void {
    const link = order.link
    if (link === undefined) return
    const { group } = link
    const complete = order.filled >= order.amount
    const counts = group.condition === 'first_hit' || group.condition === 'incremental' || complete
    if (!counts) return
    if (link.role === 'primary' && group.type !== 'one_cancels_other') {
      this.engine.defer(() => this.place(group))
      return
    }
    // OCO legs, and the two secondaries of an OTOCO once placed.
    if (group.ocoRef === undefined) return
    const others = (link.role === 'primary' ? group.secondaries : [group.primary, ...group.secondaries]).filter(
      (o) => o !== order && (group.type === 'one_cancels_other' || o.link?.role === 'secondary'),
    )
    this.engine.defer(() => {
      for (const other of others) this.reduceOrCancel(other, group, amount)
    })
  }

  closed(order: OrderRecord): void {
    const link = order.link
    if (link === undefined || link.role !== 'primary' || link.group.type === 'one_cancels_other') return
    const g = link.group
    // A primary that ended takes its still-waiting secondaries with it; deferred twice so that
    // a placement its last trade asked for (queued by `filled`) happens first.
    this.engine.defer(() =>
      this.engine.defer(() => {
        for (const s of g.secondaries)
          if (this.engine.isPendingSecondary(s)) this.engine.cancel(s, 'oto_primary_closed')
      }),
    )
  }

  /** Places (or, incrementally, grows) the secondaries of an OTO/OTOCO group. */
  private place(g: LinkGroup): void {
    const share = g.condition === 'incremental' ? Math.min(1, g.primary.filled / g.primary.amount) : 1
    for (const s of g.secondaries) {
      const requested = g.requested.get(s) ?? s.amount
      const amount = floorToStep(requested * share, s.instrument.min_trade_amount)
      if (amount <= 0) continue
      if (this.engine.isPendingSecondary(s)) this.engine.activate(s, amount)
      else if (isLive(s) && amount > s.amount) this.grow(s, amount)
    }
    g.activated = true
  }

  private grow(order: OrderRecord, amount: number): void {
    this.engine.edit(order, { ...NO_EDIT, amount })
  }

  /** The OCO reaction: cancel the other order, or with `incremental` shrink it by the traded amount. */
  private reduceOrCancel(other: OrderRecord, g: LinkGroup, traded: number): void {
    if (!isLive(other) || this.engine.isPendingSecondary(other)) return
    if (g.condition !== 'incremental') {
      this.engine.cancel(other, 'oco_other_closed')
      return
    }
    const left = floorToStep(round8(other.amount - traded), other.instrument.min_trade_amount)
    if (left <= other.filled) this.engine.cancel(other, 'oco_other_closed')
    else this.engine.edit(other, { ...NO_EDIT, amount: left })
  }
}

const NO_EDIT = {
  price: undefined,
  postOnly: undefined,
  rejectPostOnly: undefined,
  reduceOnly: undefined,
  triggerPrice: undefined,
} as const
