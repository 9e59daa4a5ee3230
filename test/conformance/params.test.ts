/**
 * "A parameter the spec documents is either honoured or refused, never silently ignored": every
 * documented param of every implemented method, given with otherwise valid params, is either read
 * by the handler or answered with an error naming it. Reads that change nothing are allowed only
 * for the params {@link PARAMS_WITHOUT_EFFECT} names with a reason, and the handlers' sources are
 * scanned so a read whose value is dropped cannot hide elsewhere.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { METHOD_TABLE } from '../../src/protocol/generated/methodTable.js'
import type { MethodSpec } from '../../src/protocol/specTable.js'
import { type Simulator, startSimulator } from '../../src/simulator/index.js'
import { PARAMS_WITHOUT_EFFECT } from './knownGaps.js'
import { auditParams, type ParamCheck } from './paramAudit.js'

const TABLE = METHOD_TABLE as Readonly<Record<string, MethodSpec>>

let sim: Simulator
let checks: ParamCheck[] = []

beforeAll(async () => {
  sim = await startSimulator({ rateLimits: false })
  checks = await auditParams(sim)
}, 180_000)

afterAll(async () => {
  await sim?.close()
})

/** Statements that read a param and drop its value: `optionalBoolean(params, 'x')` (or `requireString(p, 'x')`) on a line of its own. */
function droppedReads(dir: string): string[] {
  const out: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue
    const text = readFileSync(join(entry.parentPath, entry.name), 'utf8')
    for (const m of text.matchAll(/^\s*(?:optional|requir)\w*\(\w+, '(\w+)'[^)\n]*\)\s*$/gm)) out.push(m[1] as string)
  }
  return out
}

describe('every documented param is honoured or refused', () => {
  it('audits every param of the implemented methods, in every form of the order calls', () => {
    const methods = new Set(checks.map((c) => c.method))
    expect(methods.size).toBeGreaterThan(100)
    for (const method of methods) {
      const names = (TABLE[method]?.params ?? []).map((p) => p.name)
      const forms = new Set(checks.filter((c) => c.method === method).map((c) => c.form))
      for (const form of forms)
        expect(checks.filter((c) => c.method === method && c.form === form).map((c) => c.param)).toEqual(names)
    }
    expect(new Set(checks.filter((c) => c.method === 'private/buy').map((c) => c.form)).size).toBe(8)
    expect(new Set(checks.filter((c) => c.method === 'private/edit').map((c) => c.form)).size).toBe(6)
  })

  it('reads every param, or refuses it with an error naming it', () => {
    const ignored = checks.filter((c) => c.status === 'ignored')
    expect(ignored.map((c) => `${c.method} ${c.form ?? ''} ${c.param} ${JSON.stringify(c.error ?? '')}`)).toEqual([])
  })

  it('drops a param it read only where the list of params without effect says why', () => {
    const listed = new Set(Object.values(PARAMS_WITHOUT_EFFECT).flatMap((params) => Object.keys(params)))
    const dropped = droppedReads(join(import.meta.dirname, '../../src/simulator'))
    expect(dropped.length).toBeGreaterThan(0)
    expect(dropped.filter((name) => !listed.has(name))).toEqual([])
    for (const [method, params] of Object.entries(PARAMS_WITHOUT_EFFECT))
      for (const param of Object.keys(params))
        expect(checks.find((c) => c.method === method && c.param === param)?.status, `${method} ${param}`).toBe('read')
  })
})
