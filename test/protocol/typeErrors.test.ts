import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'

// Compiles small programs against the typed surface with the project's compiler options and checks
// that each wrong form fails for its own reason (the error code and the text it names), and that the
// right forms compile. `@ts-expect-error` alone would accept any error on the line.

const HERE = dirname(fileURLToPath(import.meta.url))
const ROOT = join(HERE, '..', '..')

const PRELUDE = `
import type { DeribitClient } from '../../src/index.js'
declare const client: DeribitClient
`

const CASES = {
  rightForms: `
    const positions = await client.call('private/get_positions', { currency: 'BTC', kind: 'future' })
    const size: number = positions[0]?.size ?? 0
    const time: number = await client.call('public/get_time')
    const { order } = await client.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: 10, type: 'market' })
    const state: 'open' | 'filled' | 'rejected' | 'cancelled' | 'untriggered' | 'triggered' = order.order_state
    const anything: unknown = await client.callUntyped('public/not_in_the_spec', { x: 1 })
    await client.subscribe('ticker.BTC-PERPETUAL.100ms', (ticker) => ticker.mark_price.toFixed(2))
    await client.subscribe('user.orders.any.any.raw', (o) => o.order_id.toUpperCase())
    const instrument: string = 'ETH-PERPETUAL'
    const sub = await client.subscribe(\`book.\${instrument}.100ms\`)
    for await (const { data } of sub) data.bids.map(([action, price, amount]) => [action, price + amount])
    void [size, time, state, anything]
  `,
  wrongMethodName: `await client.call('private/get_positionz', { currency: 'BTC' })`,
  missingRequiredParam: `await client.call('private/get_position', {})`,
  missingParams: `await client.call('private/get_position')`,
  wrongEnum: `await client.call('private/get_positions', { currency: 'BTX' })`,
  wrongParamType: `await client.call('private/buy', { instrument_name: 'BTC-PERPETUAL', amount: '10' })`,
  unknownParam: `await client.call('public/get_time', { verbose: true })`,
  wrongResultField: `const s = await client.call('private/get_account_summary', { currency: 'BTC' }); void s.equityy`,
  wrongChannel: `await client.subscribe('ticker.BTC-PERPETUAL.1s', () => {})`,
  wrongChannelKind: `await client.subscribe('user.orders.futures.BTC.raw', () => {})`,
  wrongPayloadField: `await client.subscribe('ticker.BTC-PERPETUAL.100ms', (t) => t.mark_prize)`,
  payloadIsAList: `await client.subscribe('trades.BTC-PERPETUAL.100ms', (trades) => trades.price)`,
}

/** The README's typed-surface snippets: they must compile as written, with no casts. */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8')
const TYPED_SECTION = README.slice(README.indexOf('### Typed calls and channels'), README.indexOf('### Events'))
const README_SNIPPETS = [...TYPED_SECTION.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')

type CaseName = keyof typeof CASES | `readme${number}`

const diagnostics = new Map<CaseName, readonly ts.Diagnostic[]>()

beforeAll(() => {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'))
      },
    },
  )
  if (parsed === undefined) throw new Error('tsconfig.json did not parse')
  const files = new Map<string, string>()
  const cases: Array<[CaseName, string]> = [
    ...(Object.entries(CASES) as Array<[CaseName, string]>),
    ...README_SNIPPETS.map((body, i): [CaseName, string] => [`readme${i}`, body]),
  ]
  for (const [name, body] of cases) {
    files.set(join(HERE, `__case_${name}.ts`), `${PRELUDE}\nexport {}\n${body}\n`)
  }
  const host = ts.createCompilerHost({ ...parsed.options, noEmit: true })
  const readFile = host.readFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  host.readFile = (file) => files.get(file) ?? readFile(file)
  host.fileExists = (file) => files.has(file) || fileExists(file)
  const program = ts.createProgram([...files.keys()], { ...parsed.options, noEmit: true }, host)
  for (const [name] of cases) {
    const source = program.getSourceFile(join(HERE, `__case_${name}.ts`))
    if (source === undefined) throw new Error(`case ${name} was not compiled`)
    diagnostics.set(name, [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)])
  }
}, 120_000)

function errorsOf(name: CaseName): Array<{ code: number; text: string }> {
  return (diagnostics.get(name) ?? []).map((d) => ({
    code: d.code,
    text: ts.flattenDiagnosticMessageText(d.messageText, '\n'),
  }))
}

describe('the typed surface refuses wrong code at compile time', () => {
  it('compiles the right forms, including the escape hatch and a template-built channel', () => {
    expect(errorsOf('rightForms')).toEqual([])
  })

  it("compiles the README's typed-surface snippets as written, with no casts", () => {
    expect(README_SNIPPETS.length).toBeGreaterThan(0)
    README_SNIPPETS.forEach((snippet, i) => {
      expect(snippet).not.toMatch(/\bas [A-Z{]|<[A-Z]\w*>\(/)
      expect(errorsOf(`readme${i}`)).toEqual([])
    })
  })

  it.each([
    ['wrongMethodName', 2345, 'private/get_positionz'],
    ['missingRequiredParam', 2345, 'instrument_name'],
    ['missingParams', 2554, 'Expected 2'],
    ['wrongEnum', 2322, 'BTX'],
    ['wrongParamType', 2322, 'string'],
    ['unknownParam', 2322, "'never'"],
    ['wrongResultField', 2551, 'equityy'],
    ['wrongChannel', 2345, 'ticker.BTC-PERPETUAL.1s'],
    ['wrongChannelKind', 2345, 'user.orders.futures.BTC.raw'],
    ['wrongPayloadField', 2551, 'mark_prize'],
    ['payloadIsAList', 2339, 'price'],
  ] as const)('%s fails with TS%i naming %s', (name, code, named) => {
    const errors = errorsOf(name)
    expect(errors.length).toBeGreaterThan(0)
    expect(errors[0]?.code).toBe(code)
    expect(errors[0]?.text).toContain(named)
  })
})
