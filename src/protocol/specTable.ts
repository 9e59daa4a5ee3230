/**
 * The shapes of the generated method and channel tables (`src/protocol/generated/`), which
 * `npm run gen:methods` writes from Deribit's OpenAPI and AsyncAPI files. Names, types and enums
 * only: the tables carry no prose from the specs. The simulator validates requests against them;
 * the typed client surface derives its types from the same `as const` data.
 */

/** The JSON types a spec value can have; `oneOf` means one of {@link SpecType.oneOf}. */
export type SpecTypeName = 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object' | 'oneOf'

/** A value's type as the spec gives it, with `$ref`s resolved. */
export interface SpecType {
  /** JSON type; `number` accepts any finite number, `integer` only whole ones. */
  readonly type: SpecTypeName
  /** The allowed values, when the spec restricts them. */
  readonly enum?: readonly (string | number | boolean)[]
  /** Inclusive bounds for numbers, when given. */
  readonly minimum?: number
  readonly maximum?: number
  /** The element type of an `array`. */
  readonly items?: SpecType
  /** The known fields of an `object` (the spec marks none of them required). */
  readonly properties?: Readonly<Record<string, SpecType>>
  /** The alternatives of a `oneOf` (e.g. a currency or a list of currencies). */
  readonly oneOf?: readonly SpecType[]
  /** The `components/schemas` name the type came from, e.g. `currency`, `instrument_name`. */
  readonly ref?: string
}

/** One parameter of a method. */
export interface ParamSpec extends SpecType {
  /** The parameter's name in `params`. */
  readonly name: string
  /** Whether a request without it is refused with -32602. */
  readonly required: boolean
}

/**
 * The scope a caller's token must hold for a method, e.g. `{ token: 'trade:read_write' }`.
 * A `read_write` grant satisfies a `read` requirement.
 */
export interface ScopeRequirement {
  /** The scope token needed: `area:read` or `area:read_write`. */
  readonly token: string
  /** Only main-account tokens (those granted the `mainaccount` scope) may call it. */
  readonly mainaccount?: true
  /** Another token that suffices instead when the boolean parameter `when` is `true`. */
  readonly or?: { readonly token: string; readonly when: string }
}

/** One JSON-RPC method of Deribit's API. */
export interface MethodSpec {
  /** Full method name, e.g. `private/get_positions`. */
  readonly name: string
  /** `private` methods need an authenticated caller. */
  readonly access: 'public' | 'private'
  /** The spec's tags, e.g. `Trading`, `WebSocket Only`. */
  readonly tags: readonly string[]
  /** Tagged `WebSocket Only`: over HTTP Deribit answers 10030. */
  readonly wsOnly: boolean
  readonly params: readonly ParamSpec[]
  /** The scope the caller's token needs; absent when authentication alone suffices. */
  readonly scope?: ScopeRequirement
  /**
   * JSON pointer into the OpenAPI file to the schema of the whole success response (`jsonrpc`,
   * `id`, `result`), e.g. `#/components/schemas/PrivateGetPositionsResponse`; undefined when the
   * spec documents no response (`private/logout` closes the connection).
   */
  readonly response?: string
}

/** One parameter of a channel family, in the order it appears in the channel name. */
export interface ChannelParamSpec {
  /** The placeholder's name, e.g. `instrument_name`. */
  readonly name: string
  /** The allowed values; absent when any name is allowed (instruments). */
  readonly enum?: readonly string[]
}

/** One subscription channel family of the AsyncAPI file. */
export interface ChannelSpec {
  /** The spec's address, placeholders in parentheses: `book.(instrument_name).(interval)`. */
  readonly family: string
  /** Needs an authenticated connection (`user.*` and block-trade confirmations). */
  readonly private: boolean
  readonly params: readonly ChannelParamSpec[]
  /** JSON pointer into the AsyncAPI file to the notification's `data` schema. */
  readonly payload: string
}
