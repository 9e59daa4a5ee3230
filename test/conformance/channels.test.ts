/**
 * Every channel family of the AsyncAPI spec, subscribed with the simulator's instruments and
 * currencies: it delivers a first payload of the spec's shape, or the subscription is refused
 * with an error. Never a silent `[]`, except the named families not yet served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CHANNEL_TABLE } from '../../src/protocol/generated/channelTable.js'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import { type ChannelCheck, walkChannels } from './channelWalk.js'
import { CHANNELS_WITH_DEFECTIVE_EXAMPLES, NOT_YET_DELIVERING } from './knownGaps.js'
import { exampleDefects } from './specSchemas.js'

let sim: Simulator
let checks: ChannelCheck[] = []

beforeAll(async () => {
  sim = await startSimulator({ rateLimits: false })
  checks = await walkChannels(sim)
}, 60_000)

afterAll(async () => {
  await sim?.close()
})

const served = (c: ChannelCheck) => c.status === 'delivering' || c.status === 'refused'
const show = (c: ChannelCheck) => `${c.channel}: ${c.status} ${JSON.stringify(c.detail ?? c.mismatches)}`

describe('every AsyncAPI channel family', () => {
  it('names exactly the families whose spec examples fail the spec payload schema', () => {
    expect([...exampleDefects('channels').keys()].sort()).toEqual([...CHANNELS_WITH_DEFECTIVE_EXAMPLES].sort())
  })

  it('is subscribed once per family', () => {
    expect(checks.map((c) => c.family).sort()).toEqual(Object.keys(CHANNEL_TABLE).sort())
  })

  it('delivers a payload of the spec shape, or is refused with an error', () => {
    const wrong = checks.filter((c) => !served(c) && !NOT_YET_DELIVERING.includes(c.family))
    expect(wrong.map(show)).toEqual([])
  })

  it('never sends a payload off the spec shape, even for families not yet listed as served', () => {
    expect(checks.filter((c) => c.status === 'invalid').map(show)).toEqual([])
  })

  it('still does not serve every family listed as not yet delivering (delete the line when it does)', () => {
    const fixed = checks.filter((c) => NOT_YET_DELIVERING.includes(c.family) && served(c))
    expect(fixed.map(show)).toEqual([])
  })
})
