/**
 * Prints how much of Deribit's spec the simulator covers: methods answering (not -32601) out of
 * the OpenAPI file's, schema-valid out of those (over WebSocket and HTTP), and AsyncAPI channel
 * families delivering payloads of the spec's shape. `--list` also names what is missing.
 * The same walks as the conformance tests (test/conformance/).
 */
import { CHANNEL_TABLE } from '../src/protocol/generated/channelTable.js'
import { METHOD_TABLE } from '../src/protocol/generated/methodTable.js'
import { startSimulator } from '../src/simulator/index.js'
import { walkChannels } from '../test/conformance/channelWalk.js'
import { walkMethods } from '../test/conformance/methodWalk.js'

const GOOD = new Set(['valid', 'ws-only', 'closed'])

async function main(): Promise<void> {
  const list = process.argv.includes('--list')
  const sim = await startSimulator({ rateLimits: false })
  try {
    const methods = await walkMethods(sim)
    const channels = await walkChannels(sim)
    const byMethod = new Map<string, typeof methods>()
    for (const c of methods) byMethod.set(c.method, [...(byMethod.get(c.method) ?? []), c])
    const answering = [...byMethod].filter(([, cs]) => cs.some((c) => c.status !== 'not-simulated'))
    const valid = answering.filter(([, cs]) => cs.every((c) => GOOD.has(c.status)))
    const delivering = channels.filter((c) => c.status === 'delivering')
    const refused = channels.filter((c) => c.status === 'refused')
    const total = Object.keys(METHOD_TABLE).length
    const families = Object.keys(CHANNEL_TABLE).length
    console.log(`methods answering:           ${answering.length} / ${total}`)
    console.log(`schema-valid (WS and HTTP):  ${valid.length} / ${answering.length} answering`)
    console.log(
      `channel families delivering: ${delivering.length} / ${families} (${refused.length} refused with an error)`,
    )
    if (list) {
      const validNames = new Set(valid.map(([m]) => m))
      const names = (xs: string[]) => (xs.length === 0 ? '(none)' : xs.join(' '))
      console.log(`\nnot simulated: ${names([...byMethod.keys()].filter((m) => !answering.some(([a]) => a === m)))}`)
      console.log(`answering, not schema-valid: ${names(answering.map(([m]) => m).filter((m) => !validNames.has(m)))}`)
      console.log(`families refused: ${names(refused.map((c) => c.family))}`)
      console.log(
        `families not served: ${names(channels.filter((c) => !['delivering', 'refused'].includes(c.status)).map((c) => c.family))}`,
      )
    }
  } finally {
    await sim.close()
  }
}

await main()
