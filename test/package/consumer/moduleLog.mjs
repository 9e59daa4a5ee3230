// `node --import ./moduleLog.mjs`: appends every module URL the program resolves to $MODULE_LOG.
import { register } from 'node:module'

register('./moduleLogHooks.mjs', import.meta.url)
