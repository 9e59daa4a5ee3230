/**
 * Issue 13: a short test that fails on an import going up a layer. The layers of `src/`:
 * transport → rpc → session → subscriptions and orders → client, each depending only on earlier
 * ones; `protocol/` and `errors.ts` are shared by all; the store entry points (`stores/`) sit beside
 * the client; the CLI sits on top; the simulator imports only itself and `protocol/`, and nothing
 * but the CLI imports it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = resolve(import.meta.dirname, '../../src')

/** Rank of each layer; equal ranks of different layers may not import each other. */
const RANK: Record<string, number> = {
  shared: -1,
  transport: 0,
  rpc: 1,
  session: 2,
  subscriptions: 3,
  orders: 3,
  client: 4,
  stores: 4,
  cli: 5,
}

/** The layer a file under `src/` belongs to, from its path relative to `src/`. */
function layerOf(path: string): string {
  const [top = ''] = path.split('/')
  if (top === 'protocol' || path === 'errors.ts') return 'shared'
  if (path === 'client.ts' || path === 'index.ts' || top === 'client') return 'client'
  return top
}

/** Why importing `to` from `from` breaks the layering (both relative to `src/`), or undefined when it may. */
function violation(from: string, to: string): string | undefined {
  const a = layerOf(from)
  const b = layerOf(to)
  if (a === b || b === 'shared') return undefined
  if (a === 'simulator') return `the simulator imports ${b}`
  if (b === 'simulator') return a === 'cli' ? undefined : `${a} imports the simulator`
  const ra = RANK[a]
  const rb = RANK[b]
  if (ra === undefined || rb === undefined) return `unknown layer ${ra === undefined ? a : b}`
  if (rb > ra) return `${a} imports ${b}, a later layer`
  if (rb === ra) return `${a} imports ${b}, a sibling layer`
  return undefined
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

const IMPORT = /(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g

describe('layering of src/', () => {
  it('no import goes up a layer, sideways between siblings, or across the simulator boundary', () => {
    const problems: string[] = []
    for (const file of sourceFiles(SRC)) {
      const from = relative(SRC, file)
      for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
        const to = relative(SRC, resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts')))
        const why = violation(from, to)
        if (why) problems.push(`${from} → ${to}: ${why}`)
      }
    }
    expect(problems).toEqual([])
  })

  it('the rule itself catches an upward import', () => {
    expect(violation('session/x.ts', 'client/y.ts')).toMatch(/later layer/)
    expect(violation('orders/x.ts', 'subscriptions/y.ts')).toMatch(/sibling/)
    expect(violation('simulator/x.ts', 'session/y.ts')).toMatch(/simulator imports/)
    expect(violation('client.ts', 'simulator/index.ts')).toMatch(/imports the simulator/)
    expect(violation('client/x.ts', 'session/y.ts')).toBeUndefined()
    expect(violation('rpc/x.ts', 'protocol/y.ts')).toBeUndefined()
  })
})
