import { StoreError } from '../../errors.js'

/** The `code` of a Node system error (`ENOENT`, `EEXIST`...), if it is one. */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' ? code : undefined
}

/** Wraps a file-system failure as `STORE_UNAVAILABLE`, keeping StoreErrors as they are. */
export function fileStoreError(error: unknown, doing: string): StoreError {
  if (error instanceof StoreError) return error
  const code = errnoCode(error) ?? (error instanceof Error ? error.name : 'unknown error')
  return new StoreError('STORE_UNAVAILABLE', `Session file store could not ${doing} (${code})`)
}
