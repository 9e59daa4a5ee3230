import { describe, expect, it } from 'vitest'
import { CHANNEL_TABLE } from '../../src/protocol/generated/channelTable.js'
import { METHOD_TABLE } from '../../src/protocol/generated/methodTable.js'

describe('generated method and channel tables', () => {
  it('hold every method of the OpenAPI file and every channel family of the AsyncAPI file', () => {
    expect(Object.keys(METHOD_TABLE)).toHaveLength(173)
    expect(Object.keys(CHANNEL_TABLE)).toHaveLength(39)
  })

  it('records names, access, required flags, enums and the response schema', () => {
    const m = METHOD_TABLE['private/get_positions']
    expect(m.access).toBe('private')
    expect(m.response).toBe('#/components/schemas/PrivateGetPositionsResponse')
    const kind = m.params.find((p) => p.name === 'kind')
    expect(kind).toMatchObject({
      required: false,
      type: 'string',
      enum: ['future', 'option', 'future_combo', 'option_combo'],
    })
    const buy = METHOD_TABLE['private/buy']
    expect(buy.params.find((p) => p.name === 'instrument_name')).toMatchObject({ required: true, type: 'string' })
    expect(METHOD_TABLE['public/subscribe'].params[0]).toMatchObject({
      name: 'channels',
      type: 'array',
      items: { type: 'string' },
    })
    expect(METHOD_TABLE['public/set_heartbeat'].wsOnly).toBe(true)
  })

  it('records channel families with their placeholders in name order', () => {
    const book = CHANNEL_TABLE['book.(instrument_name).(group).(depth).(interval)']
    expect(book.params.map((p) => p.name)).toEqual(['instrument_name', 'group', 'depth', 'interval'])
    expect(book.params[2]?.enum).toEqual(['1', '10', '20'])
    expect(CHANNEL_TABLE['user.orders.(kind).(currency).raw'].private).toBe(true)
    expect(CHANNEL_TABLE['ticker.(instrument_name).(interval)'].private).toBe(false)
  })

  it('carries no prose from the specs', () => {
    // Names, tags and enum values are short; the specs' descriptions are sentences.
    const strings: string[] = []
    JSON.stringify([METHOD_TABLE, CHANNEL_TABLE], (_key, value: unknown) => {
      if (typeof value === 'string') strings.push(value)
      return value
    })
    expect(strings.filter((s) => !s.startsWith('#/') && (s.length > 64 || s.split(' ').length > 3))).toEqual([])
  })
})
