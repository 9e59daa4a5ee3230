// Declares biome's per-platform optional packages in package-lock.json.
//
// Why: the registry this project's machines reach serves only the Linux builds of
// @biomejs/cli-*; npm leaves the others out of the lock file, and `npm ci` then refuses the
// lock as out of sync. Declaring them (os/cpu/libc-filtered, never installed on Linux) makes
// the lock complete again without changing what gets installed. Idempotent.
import { readFileSync, writeFileSync } from 'node:fs'

const path = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(path, 'utf8'))
const packages = lock.packages
const biome = packages['node_modules/@biomejs/biome']
if (!biome) process.exit(0)
const platforms = {
  'android-arm64': [['android'], ['arm64']],
  'android-x64': [['android'], ['x64']],
  'darwin-arm64': [['darwin'], ['arm64']],
  'darwin-x64': [['darwin'], ['x64']],
  'linux-arm64': [['linux'], ['arm64'], ['glibc']],
  'linux-arm64-musl': [['linux'], ['arm64'], ['musl']],
  'linux-x64': [['linux'], ['x64'], ['glibc']],
  'linux-x64-musl': [['linux'], ['x64'], ['musl']],
  'win32-arm64': [['win32'], ['arm64']],
  'win32-x64': [['win32'], ['x64']],
}
let added = 0
for (const [name, [os, cpu, libc]] of Object.entries(platforms)) {
  const key = `node_modules/@biomejs/cli-${name}`
  if (packages[key] || !biome.optionalDependencies?.[`@biomejs/cli-${name}`]) continue
  packages[key] = {
    version: biome.version,
    cpu,
    dev: true,
    license: 'MIT OR Apache-2.0',
    optional: true,
    os,
    ...(libc ? { libc } : {}),
    engines: biome.engines,
  }
  added++
}
if (added > 0) {
  const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : 1)))
  lock.packages = sorted
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`)
  console.log(`declared ${added} optional platform packages in package-lock.json`)
}
