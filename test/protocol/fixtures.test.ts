import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { OrderTracker, trackerInternals } from '../../src/orders/orderTracker.js'
import { wsSignature } from '../../src/protocol/signature.js'
import type { BookChange, Order } from '../../src/protocol/types.js'
import { parseFrame } from '../../src/rpc/frame.js'
import { parseAuthResult } from '../../src/session/tokenOperations.js'
import { BookSequencer } from '../../src/subscriptions/bookSequencer.js'

const root = join(import.meta.dirname, '../../fixtures')
const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.json'))
const load = (name: string): unknown => JSON.parse(readFileSync(join(root, name), 'utf8'))
const raw = (name: string): string => JSON.stringify(load(name))

describe('protocol reference fixtures', () => {
  it('holds every example payload of the reference', () => {
    expect(files.length).toBeGreaterThanOrEqual(51)
  })

  it.each(files.filter((f) => !f.includes('.request') && !f.includes('detailed')))('%s parses as a frame', (file) => {
    const frame = parseFrame(raw(file))
    expect(frame.kind).not.toBe('invalid')
    const message = load(file) as Record<string, unknown>
    if (message.method === 'subscription') expect(frame.kind).toBe('notification')
    else if (message.method === 'heartbeat') expect(frame.kind).toBe('heartbeat')
    else expect(frame.kind).toBe('response')
  })

  it('auth and token responses carry every field the session layer needs', () => {
    for (const file of [
      'auth/client_credentials.response.json',
      'auth/client_signature.response.json',
      'tokens/token.response.json',
    ]) {
      const result = (load(file) as { result: unknown }).result
      expect(parseAuthResult(result, 'public/auth').expires_in).toBeGreaterThan(0)
    }
  })

  it("the signature request's signature is Deribit's published test vector", () => {
    const { params } = load('auth/client_signature.request.json') as {
      params: { timestamp: number; nonce: string; data: string; signature: string }
    }
    expect(wsSignature('AMANDASECRECT', params.timestamp, params.nonce, params.data)).toBe(params.signature)
  })

  it('book snapshot then change chain by change_id; the step-by-2 change is no gap', () => {
    const sequencer = new BookSequencer()
    const data = (file: string) => (load(file) as { params: { data: BookChange } }).params.data
    expect(sequencer.check('book.BTC-PERPETUAL.100ms', data('notifications/book_snapshot.json'))).toBe('snapshot')
    expect(sequencer.check('book.BTC-PERPETUAL.100ms', data('notifications/book_change.json'))).toBe('ok')
    const step2 = data('notifications/book_change_step2.json')
    sequencer.check('book.X.raw', { type: 'snapshot', change_id: step2.prev_change_id as number })
    expect(sequencer.check('book.X.raw', step2)).toBe('ok')
  })

  it('order payloads from responses and notifications feed the tracker', () => {
    const tracker = new OrderTracker()
    const orders: Order[] = [
      (load('orders/buy.response.json') as { result: { order: Order } }).result.order,
      (load('orders/edit.response.json') as { result: { order: Order } }).result.order,
      (load('orders/get_order_state.response.json') as { result: Order }).result,
      (load('notifications/user_orders_raw.json') as { params: { data: Order } }).params.data,
      ...(load('notifications/user_orders_100ms.json') as { params: { data: Order[] } }).params.data,
      ...(load('orders/get_open_orders_by_currency.response.json') as { result: Order[] }).result,
    ]
    for (const order of orders) expect(trackerInternals(tracker).apply(order, 1)).toBe('added')
    expect(tracker.get('94166')?.order_state).toBe('open')
    expect(tracker.get('ETH-584864807')?.order_state).toBe('filled')
  })

  it('error payloads keep their code and data', () => {
    const frame = parseFrame(raw('errors/invalid_params.json'))
    expect(frame).toMatchObject({ kind: 'response', error: { code: -32602, data: { param: 'nonce' } } })
    expect(parseFrame(raw('errors/entity_too_large.json'))).toMatchObject({ kind: 'response', id: null })
  })
})
