import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = resolve(import.meta.dirname, '../../src')

/**
 * The client's layers, bottom up: a file may import its own layer and the ones below it, never
 * one above. `subscriptions` and `orders` are one level and do not import each other. `shared`
 * (the protocol's data and the error classes) sits under everything, and the entry points
 * (`index.ts`, `stores/*`) over the client. The simulator may use only `shared`, and nothing of the
 * client may use the simulator.
 */
const RANK: Record<string, number> = {
  shared: 0,
  transport: 1,
  rpc: 2,
  session: 3,
  subscriptions: 4,
  orders: 4,
  client: 5,
  entry: 6,
  cli: 7,
}

function layerOf(file: string): string {
  const rel = relative(SRC, file).split('\\').join('/')
  if (rel === 'errors.ts' || rel.startsWith('protocol/')) return 'shared'
  if (rel === 'client.ts' || rel.startsWith('client/')) return 'client'
  if (rel === 'index.ts' || rel.startsWith('stores/')) return 'entry'
  const top = rel.split('/')[0] as string
  return top
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return path.endsWith('.ts') ? [path] : []
  })
}

function relativeImports(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const found: string[] = []
  for (const match of text.matchAll(/^\s*(?:import|export)[^'"]*from\s+'(\.{1,2}\/[^']+)'/gm)) {
    found.push(resolve(dirname(file), (match[1] as string).replace(/\.js$/, '.ts')))
  }
  return found
}

/** Whether `file` importing `target` breaks the layering. */
function breaks(file: string, target: string): boolean {
  const from = layerOf(file)
  const to = layerOf(target)
  if (from === 'simulator' || to === 'simulator') {
    return from !== to && !(from === 'simulator' && to === 'shared') && from !== 'cli'
  }
  const a = RANK[from]
  const b = RANK[to]
  if (a === undefined || b === undefined) return true
  return b > a || (a === RANK.orders && b === RANK.orders && from !== to)
}

/** Every import that breaks the layering, as `importer → imported`. */
function violations(): string[] {
  const out: string[] = []
  for (const file of sourceFiles(SRC)) {
    for (const target of relativeImports(file)) {
      if (breaks(file, target)) out.push(`${relative(SRC, file)} → ${relative(SRC, target)}`)
    }
  }
  return out
}

describe('layers', () => {
  it('no file imports a layer above its own, and the simulator and the client never import each other', () => {
    expect(violations()).toEqual([])
  })

  it('the rule catches an upward import, a sideways one, and a client-simulator one', () => {
    const at = (path: string) => join(SRC, path)
    expect(breaks(at('session/a.ts'), at('client/b.ts'))).toBe(true)
    expect(breaks(at('transport/a.ts'), at('rpc/b.ts'))).toBe(true)
    expect(breaks(at('orders/a.ts'), at('subscriptions/b.ts'))).toBe(true)
    expect(breaks(at('simulator/a.ts'), at('session/b.ts'))).toBe(true)
    expect(breaks(at('client/a.ts'), at('simulator/b.ts'))).toBe(true)
    expect(breaks(at('client/a.ts'), at('orders/b.ts'))).toBe(false)
    expect(breaks(at('simulator/a.ts'), at('protocol/b.ts'))).toBe(false)
  })
})
