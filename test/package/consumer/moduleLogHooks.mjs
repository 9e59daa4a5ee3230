// The loader hook of moduleLog.mjs: records where each import resolved.
import { appendFileSync } from 'node:fs'

export async function resolve(specifier, context, next) {
  const result = await next(specifier, context)
  appendFileSync(process.env.MODULE_LOG, `${result.url}\n`)
  return result
}
