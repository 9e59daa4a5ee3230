import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

/** The repository root: the CLI and the examples are spawned from there. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const MAIN = 'src/cli/main.ts'

/** The environment without any DERIBIT_* variable of the developer's shell, plus `extra`. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('DERIBIT_')) env[key] = value
  return { ...env, ...extra }
}

/** How a finished process ended. */
export interface Finished {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
  ms: number
}

/** Spawns `node --import tsx <script> ...args` in the repository root. */
export function spawnNode(script: string, args: readonly string[], env: NodeJS.ProcessEnv = cleanEnv()) {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, env })
}

/** Spawns the CLI (`deribit-session ...args`). */
export function spawnCli(args: readonly string[], env?: NodeJS.ProcessEnv): ChildProcessWithoutNullStreams {
  return spawnNode(MAIN, args, env)
}

/** Waits for a spawned process to exit, killing it after `timeoutMs`. */
export function finished(child: ChildProcessWithoutNullStreams, timeoutMs = 15_000): Promise<Finished> {
  const started = performance.now()
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
  })
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started })
    })
  })
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<Finished> {
  return finished(spawnCli(args, env), timeoutMs)
}

/** Resolves with the first `count` stdout lines of a running process (rejects if it exits first). */
export function readLines(child: ChildProcessWithoutNullStreams, count: number, timeoutMs = 10_000): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    let stderr = ''
    const onErr = (chunk: Buffer) => {
      stderr += chunk.toString()
    }
    const cleanup = () => {
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.stderr.off('data', onErr)
      child.off('close', onClose)
    }
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split('\n')
      if (lines.length > count) {
        cleanup()
        resolve(lines.slice(0, count))
      }
    }
    const onClose = (code: number | null) => {
      cleanup()
      reject(new Error(`exited with ${code} before ${count} lines; stderr: ${stderr}`))
    }
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`fewer than ${count} lines within ${timeoutMs} ms; stderr: ${stderr}`))
    }, timeoutMs)
    child.stdout.on('data', onData)
    child.stderr.on('data', onErr)
    child.on('close', onClose)
  })
}

/** A local TCP port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return address.port
}
