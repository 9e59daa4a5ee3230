/**
 * Prints the functions with the most self time in a `.cpuprofile` (from `--profile=CLIENT`):
 * `npx tsx bench/profileTop.ts bench/.profiles/CPU.*.cpuprofile [count]`.
 */
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  startTime: number
  endTime: number
}

const [file, countArg] = process.argv.slice(2)
if (file === undefined) {
  process.stderr.write('usage: profileTop.ts FILE.cpuprofile [count]\n')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<string, number>()
for (const id of profile.samples) {
  const node = byId.get(id)
  if (node === undefined) continue
  const { functionName, url, lineNumber } = node.callFrame
  const where = url.replace(/^.*\/(node_modules\/|src\/|bench\/)/, '$1')
  const key = `${functionName || '(anonymous)'}  ${where}:${lineNumber + 1}`
  self.set(key, (self.get(key) ?? 0) + 1)
}
const total = profile.samples.length
// Self time in ms as well: comparable across two profiles of the same work (percentages are not).
const msPerSample = (profile.endTime - profile.startTime) / 1000 / Math.max(1, total)
const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(countArg ?? 25))
for (const [key, hits] of rows) {
  const ms = (hits * msPerSample).toFixed(1).padStart(8)
  process.stdout.write(`${((hits / total) * 100).toFixed(1).padStart(5)}% ${ms} ms  ${key}\n`)
}
