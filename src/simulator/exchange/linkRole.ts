/**
 * The parts orders play in a linked group (OTO, OCO, OTOCO) and the wire fields that say so:
 * `oto_order_ids`, `is_primary_otoco`, `trigger_fill_condition` on the primary,
 * `primary_order_id`, `is_secondary_oto` on secondaries, `oco_ref` on the orders that cancel
 * each other. The behaviour lives in `linkedOrders.ts`.
 */
import type { OrderRecord } from './orderRecord.js'

/** Deribit's `linked_order_type` values. */
export type LinkType = 'one_triggers_other' | 'one_cancels_other' | 'one_triggers_one_cancels_other'

/** Deribit's `trigger_fill_condition` values. */
export type FillCondition = 'first_hit' | 'complete_fill' | 'incremental'

/** One linked group: a primary order and the secondaries its `otoco_config` made. */
export interface LinkGroup {
  readonly type: LinkType
  readonly condition: FillCondition
  readonly primary: OrderRecord
  readonly secondaries: OrderRecord[]
  /** The amount each secondary was asked for (incremental activation places a share of it). */
  readonly requested: Map<OrderRecord, number>
  /** The reference the orders that cancel each other share. */
  readonly ocoRef: string | undefined
  /** OTO/OTOCO: the secondaries have been placed. */
  activated: boolean
}

/** An order's part in a group. */
export interface LinkRole {
  readonly group: LinkGroup
  readonly role: 'primary' | 'secondary'
}

/** The wire fields of an order's link. */
export function linkWire(link: LinkRole): Record<string, unknown> {
  const { group } = link
  const triggers = group.type !== 'one_cancels_other'
  const wire: Record<string, unknown> = {}
  if (link.role === 'primary') {
    wire.trigger_fill_condition = group.condition
    if (triggers) wire.oto_order_ids = group.secondaries.map((o) => o.id)
    if (group.type === 'one_triggers_one_cancels_other') wire.is_primary_otoco = true
    if (group.type === 'one_cancels_other') wire.oco_ref = group.ocoRef
  } else {
    wire.primary_order_id = group.primary.id
    if (triggers) wire.is_secondary_oto = true
    if (group.ocoRef !== undefined) wire.oco_ref = group.ocoRef
  }
  return wire
}
