/**
 * Every method the simulator answers, over WebSocket and HTTP, with valid params: each answer must
 * match the spec's response schema (up to the spec's own named defects), WebSocket-only methods
 * must be refused over HTTP with 10030, and logout must close the socket without an answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { METHOD_TABLE } from '../../src/protocol/generated/methodTable.js'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import { METHODS_WITH_DEFECTIVE_EXAMPLES, NOT_YET_CONFORMING } from './knownGaps.js'
import { type MethodCheck, walkMethods } from './methodWalk.js'
import { exampleDefects } from './specSchemas.js'

let sim: Simulator
let checks: MethodCheck[] = []

beforeAll(async () => {
  sim = await startSimulator({ rateLimits: false })
  checks = await walkMethods(sim)
}, 180_000)

afterAll(async () => {
  await sim?.close()
})

const failed = (c: MethodCheck) => c.status === 'error' || c.status === 'invalid'
const show = (c: MethodCheck) =>
  `${c.transport} ${c.method}: ${JSON.stringify(c.status === 'error' ? c.detail : c.mismatches)}`

describe('spec conformance of every simulated method', () => {
  it('names exactly the methods whose spec examples fail the spec schema', () => {
    expect([...exampleDefects('methods').keys()].sort()).toEqual([...METHODS_WITH_DEFECTIVE_EXAMPLES].sort())
  })

  it('finds the defects it tolerates beyond the examples of each method in the spec itself', () => {
    const defects = exampleDefects('methods')
    expect([...(defects.get('public/get_instrument') ?? [])]).toContain(
      '/result/quote_currency #/properties/quote_currency/enum must be equal to one of the allowed values',
    )
    expect([...(defects.get('private/get_block_rfqs') ?? [])]).toContain(
      '/result/continuation #/components/schemas/continuation/type must be string',
    )
  })

  it('walks every method of the table on both transports', () => {
    expect(checks).toHaveLength(2 * Object.keys(METHOD_TABLE).length)
    expect(checks.filter((c) => c.status === 'valid').length).toBeGreaterThan(0)
  })

  it('answers valid params with a schema-valid result, over WebSocket and HTTP', () => {
    const unexpected = checks.filter((c) => failed(c) && !Object.hasOwn(NOT_YET_CONFORMING, c.method))
    expect(unexpected.map(show)).toEqual([])
  })

  it('simulates a method over both transports or neither', () => {
    const ws = new Set(checks.filter((c) => c.transport === 'ws' && c.status !== 'not-simulated').map((c) => c.method))
    const http = new Set(
      checks.filter((c) => c.transport === 'http' && c.status !== 'not-simulated').map((c) => c.method),
    )
    expect([...ws].filter((m) => !http.has(m))).toEqual([])
    expect([...http].filter((m) => !ws.has(m))).toEqual([])
  })

  it('still fails every method listed as not yet conforming (delete the line when it conforms)', () => {
    const fixed = Object.keys(NOT_YET_CONFORMING).filter((m) => !checks.some((c) => c.method === m && failed(c)))
    expect(fixed).toEqual([])
  })
})
