import { errnoCode } from './fsErrors.js'

/** True when a process with `pid` exists on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it exists, it just is not ours to signal.
    return errnoCode(error) === 'EPERM'
  }
}
