import { describe, expect, expectTypeOf, it } from 'vitest'
import {
  type ChannelName,
  type ChannelPayload,
  type CheckedChannel,
  channelFamily,
  type DeribitSchema,
  type FamilyOf,
  isChannelName,
  type MethodName,
  type MethodParams,
  type MethodParamsArg,
  type MethodResult,
} from '../../src/index.js'
import { METHOD_TABLE } from '../../src/protocol/generated/methodTable.js'
import type { BookChange, GroupedBook, PriceIndex } from '../../src/protocol/types.js'

// The type-level half is checked by `npm run typecheck`; typeErrors.test.ts proves the wrong forms fail.

describe('typed methods', () => {
  it('names every method of the method table, and only those', () => {
    expectTypeOf<'private/get_positions'>().toExtend<MethodName>()
    expectTypeOf<'private/get_positionz'>().not.toExtend<MethodName>()
    const names: MethodName[] = Object.keys(METHOD_TABLE) as (keyof typeof METHOD_TABLE)[]
    expect(names).toContain('private/get_positions')
    expect(names.length).toBe(Object.keys(METHOD_TABLE).length)
  })

  it("types parameters with the table's required flags and enums", () => {
    expectTypeOf<MethodParams<'private/get_position'>>().toEqualTypeOf<{ instrument_name: string }>()
    expectTypeOf<MethodParams<'private/get_positions'>['currency']>().toEqualTypeOf<
      'BTC' | 'ETH' | 'USDC' | 'USDT' | 'EURR' | 'any' | undefined
    >()
    expectTypeOf<MethodParams<'private/buy'>>().toHaveProperty('instrument_name').toEqualTypeOf<string>()
    expectTypeOf<MethodParamsArg<'public/get_time'>>().toEqualTypeOf<[params?: MethodParams<'public/get_time'>]>()
    expectTypeOf<MethodParamsArg<'private/get_position'>>().toEqualTypeOf<[params: { instrument_name: string }]>()
    // The runtime table says the same: what is required in the type is required in the table.
    const getPosition = METHOD_TABLE['private/get_position'].params.find((p) => p.name === 'instrument_name')
    expect(getPosition?.required).toBe(true)
  })

  it('types results from the response schemas', () => {
    expectTypeOf<MethodResult<'private/buy'>['order']>().toEqualTypeOf<DeribitSchema<'order'>>()
    expectTypeOf<MethodResult<'private/buy'>['trades']>().toEqualTypeOf<DeribitSchema<'user_trade'>[]>()
    expectTypeOf<MethodResult<'private/get_positions'>>().toEqualTypeOf<DeribitSchema<'position_with_elp'>[]>()
    expectTypeOf<MethodResult<'public/get_time'>>().toEqualTypeOf<number>()
    expectTypeOf<MethodResult<'private/get_account_summary'>['equity']>().toEqualTypeOf<number>()
    expectTypeOf<DeribitSchema<'order'>['order_state']>().toEqualTypeOf<
      'open' | 'filled' | 'rejected' | 'cancelled' | 'untriggered' | 'triggered'
    >()
  })
})

describe('typed channels', () => {
  it('accepts the channel names the AsyncAPI file describes', () => {
    expectTypeOf<'book.BTC-PERPETUAL.100ms'>().toExtend<ChannelName>()
    expectTypeOf<'user.orders.future.BTC.raw'>().toExtend<ChannelName>()
    expectTypeOf<'user.orders.any.any.raw'>().toExtend<ChannelName>()
    expectTypeOf<`ticker.${string}.agg2`>().toExtend<ChannelName>()
    expectTypeOf<'ticker.BTC-PERPETUAL.1s'>().not.toExtend<ChannelName>()
    // `${string}` spans dots in a template type, so the typed subscribe also checks names segment by segment.
    expectTypeOf<CheckedChannel<'user.orders.futures.BTC.raw'>>().toBeNever()
    expectTypeOf<CheckedChannel<'user.orders.future.BTC.raw'>>().toEqualTypeOf<'user.orders.future.BTC.raw'>()
    for (const channel of ['book.BTC-PERPETUAL.100ms', 'user.orders.any.any.raw', 'deribit_price_index.btc_usd']) {
      expect(isChannelName(channel)).toBe(true)
    }
    for (const channel of ['ticker.BTC-PERPETUAL.1s', 'user.orders.futures.BTC.raw', 'tickr.X.raw', 'book..100ms']) {
      expect(isChannelName(channel)).toBe(false)
    }
  })

  it('resolves overlapping families to the one with fewer parameters, in types and at run time', () => {
    expectTypeOf<FamilyOf<'user.orders.any.any.raw'>>().toEqualTypeOf<'user.orders.(kind).(currency).raw'>()
    expectTypeOf<FamilyOf<'user.orders.any.any.100ms'>>().toEqualTypeOf<'user.orders.(kind).(currency).(interval)'>()
    expectTypeOf<
      FamilyOf<'book.ETH-PERPETUAL.100.1.100ms'>
    >().toEqualTypeOf<'book.(instrument_name).(group).(depth).(interval)'>()
    expect(channelFamily('user.orders.any.any.raw')).toBe('user.orders.(kind).(currency).raw')
    expect(channelFamily('user.orders.any.any.100ms')).toBe('user.orders.(kind).(currency).(interval)')
    expect(channelFamily('user.orders.BTC-PERPETUAL.raw')).toBe('user.orders.(instrument_name).raw')
    expect(channelFamily('book.ETH-PERPETUAL.100.1.100ms')).toBe('book.(instrument_name).(group).(depth).(interval)')
    expect(channelFamily('book.BTC-PERPETUAL.100ms')).toBe('book.(instrument_name).(interval)')
  })

  it('types each channel’s payload', () => {
    expectTypeOf<ChannelPayload<'ticker.BTC-PERPETUAL.100ms'>>().toEqualTypeOf<DeribitSchema<'TickerNotification'>>()
    expectTypeOf<ChannelPayload<'user.orders.any.any.raw'>>().toEqualTypeOf<DeribitSchema<'order'>>()
    expectTypeOf<ChannelPayload<'user.orders.BTC-PERPETUAL.100ms'>>().toEqualTypeOf<DeribitSchema<'order'>[]>()
    expectTypeOf<ChannelPayload<'trades.BTC-PERPETUAL.raw'>>().toEqualTypeOf<DeribitSchema<'public_trade'>[]>()
    expectTypeOf<ChannelPayload<'user.trades.future.BTC.100ms'>>().toEqualTypeOf<DeribitSchema<'user_trade'>[]>()
    expectTypeOf<ChannelPayload<'book.BTC-PERPETUAL.raw'>>().toEqualTypeOf<BookChange>()
    expectTypeOf<ChannelPayload<`book.${string}.100ms`>>().toEqualTypeOf<BookChange>()
    expectTypeOf<ChannelPayload<'book.ETH-PERPETUAL.100.1.100ms'>>().toEqualTypeOf<GroupedBook>()
    expectTypeOf<ChannelPayload<'deribit_price_index.btc_usd'>>().toEqualTypeOf<PriceIndex>()
    expectTypeOf<ChannelPayload<'user.portfolio.BTC'>>().toEqualTypeOf<DeribitSchema<'currency_portfolio'>>()
    // A family neither spec gives a shape stays unknown: the handler must look before it reads.
    expectTypeOf<ChannelPayload<'platform_state'>>().toEqualTypeOf<unknown>()
  })
})
