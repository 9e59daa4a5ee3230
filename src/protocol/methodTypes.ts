/**
 * The typed method surface: names, parameters and results of every method in the generated method
 * table. Types only, derived from two generated files: the parameters from the table the simulator
 * validates requests against (`generated/methodTable.ts`), so a call that compiles passes the
 * simulator's checks of names, required flags, types and enums; the results from openapi-typescript's
 * output for the spec's response schemas (`generated/methodResponses.ts`).
 */
import type { MethodResponses } from './generated/methodResponses.js'
import type { METHOD_TABLE } from './generated/methodTable.js'
import type { components } from './generated/openapiSchemas.js'
import type { ParamSpec, SpecType } from './specTable.js'

type Table = typeof METHOD_TABLE

/** Every method of Deribit's API spec, e.g. `'private/get_positions'`. */
export type MethodName = keyof Table & keyof MethodResponses

/** Flattens an intersection so editors show one object type. */
type Simplify<T> = { [K in keyof T]: T[K] } & {}

/** The TypeScript type of one table entry: its enum when it has one, else its JSON type. */
export type SpecValue<S> = S extends { readonly enum: readonly (infer E)[] }
  ? E
  : S extends { readonly type: 'string' }
    ? string
    : S extends { readonly type: 'number' | 'integer' }
      ? number
      : S extends { readonly type: 'boolean' }
        ? boolean
        : S extends { readonly type: 'array'; readonly items: infer I }
          ? readonly SpecValue<I>[]
          : S extends { readonly type: 'oneOf'; readonly oneOf: readonly (infer A)[] }
            ? SpecValue<A>
            : S extends { readonly type: 'object'; readonly properties: infer P }
              ? { [K in keyof P]?: SpecValue<P[K]> }
              : S extends { readonly type: 'object' }
                ? Readonly<Record<string, unknown>>
                : S extends SpecType
                  ? unknown
                  : never

/**
 * The `params` object a list of table parameters describes: required ones required, the rest
 * optional, nothing else (an empty list allows no key at all).
 */
export type ParamsOf<P extends readonly ParamSpec[]> = P extends readonly []
  ? Record<string, never>
  : Simplify<
      { [X in P[number] as X extends { readonly required: true } ? X['name'] : never]: SpecValue<X> } & {
        [X in P[number] as X extends { readonly required: true } ? never : X['name']]?: SpecValue<X>
      }
    >

/**
 * The parameters of method `M`, e.g. `MethodParams<'private/get_position'>` is
 * `{ instrument_name: string }`. Methods without parameters give `Record<string, never>`.
 */
export type MethodParams<M extends MethodName> = ParamsOf<Table[M]['params']>

/**
 * What method `M` resolves to: the `result` of its response schema, e.g.
 * `MethodResult<'private/get_positions'>` is an array of positions. `unknown` where the spec gives
 * no result (`private/logout`).
 */
export type MethodResult<M extends MethodName> = MethodResponses[M] extends { readonly result?: infer R } ? R : unknown

/**
 * The parameter list after the method name: `params` may be left out exactly when nothing in it is
 * required.
 */
export type MethodParamsArg<M extends MethodName> =
  Record<never, never> extends MethodParams<M> ? [params?: MethodParams<M>] : [params: MethodParams<M>]

/**
 * One of the spec's component schemas by name, as openapi-typescript typed it, e.g.
 * `DeribitSchema<'position'>` or `DeribitSchema<'order'>`.
 */
export type DeribitSchema<N extends keyof components['schemas']> = components['schemas'][N]
