import type { Order } from '../../src/protocol/types.js'

/** An order with sane defaults; override what the test is about. */
export function order(fields: Partial<Order> & { order_id: string }): Order {
  return {
    order_state: 'open',
    order_type: 'limit',
    time_in_force: 'good_til_cancelled',
    instrument_name: 'BTC-PERPETUAL',
    creation_timestamp: 1_000,
    last_update_timestamp: 1_000,
    direction: 'buy',
    price: 50_000,
    label: '',
    post_only: false,
    api: true,
    amount: 100,
    filled_amount: 0,
    average_price: 0,
    reduce_only: false,
    replaced: false,
    is_liquidation: false,
    ...fields,
  }
}
