/**
 * A seam for the parameter audit (test/conformance/params.test.ts): while a listener is set,
 * every dispatched call's params are handed to the handler behind a proxy that reports each
 * param the handler reads. The audit proves that every param the spec documents is either read
 * (honoured) or refused, never silently dropped. Without a listener the params pass untouched,
 * so the serving path pays nothing.
 */

/** Told of each param a handler reads: the method and the param's name. */
export type ParamReadListener = (method: string, param: string) => void

let listener: ParamReadListener | undefined

/** Sets (or, with undefined, clears) the process-wide listener. For tests only. */
export function listenToParamReads(next: ParamReadListener | undefined): void {
  listener = next
}

/**
 * `params` as the handler of `method` gets them: untouched, or observed while a listener is set.
 * Copying the whole object (a spread) is not a read: only the param the handler then looks at is,
 * which the copy would hide, so a handler that spreads shows as not reading (a false alarm, never
 * a false pass).
 */
export function observedParams(method: string, params: Record<string, unknown>): Record<string, unknown> {
  const report = listener
  if (report === undefined) return params
  let copying: string | symbol | undefined
  return new Proxy(params, {
    get(target, key, receiver) {
      if (key === copying) copying = undefined
      else if (typeof key === 'string') report(method, key)
      return Reflect.get(target, key, receiver)
    },
    has(target, key) {
      if (typeof key === 'string') report(method, key)
      return Reflect.has(target, key)
    },
    getOwnPropertyDescriptor(target, key) {
      copying = key
      return Reflect.getOwnPropertyDescriptor(target, key)
    },
  })
}
