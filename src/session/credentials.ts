import { randomBytes } from 'node:crypto'
import { wsSignature } from '../protocol/signature.js'

/** An API key: the id is public, the secret only ever feeds the HMAC. */
export interface Credentials {
  clientId: string
  clientSecret: string
}

/** Inputs of one `client_signature` login; the nonce must be fresh for every call. */
export interface SignatureAuthInput {
  /** Milliseconds since epoch; the exchange rejects timestamps older than 60 s. */
  now: number
  nonce: string
  /** Requested scope, e.g. `session:bot trade:read_write`. */
  scope?: string
  /** Optional extra data signed along. @default '' */
  data?: string
}

/** Params of `public/auth` with `grant_type: client_signature`. */
export interface SignatureAuthParams extends Record<string, unknown> {
  grant_type: 'client_signature'
  client_id: string
  timestamp: number
  nonce: string
  data: string
  signature: string
  scope?: string
}

/**
 * Builds the `public/auth` params for a signed login. The secret only keys the HMAC: it never
 * appears in the params.
 */
export function signatureAuthParams(credentials: Credentials, input: SignatureAuthInput): SignatureAuthParams {
  const data = input.data ?? ''
  const params: SignatureAuthParams = {
    grant_type: 'client_signature',
    client_id: credentials.clientId,
    timestamp: input.now,
    nonce: input.nonce,
    data,
    signature: wsSignature(credentials.clientSecret, input.now, input.nonce, data),
  }
  if (input.scope !== undefined) params.scope = input.scope
  return params
}

/** A fresh single-use nonce (16 hex chars). */
export function newNonce(): string {
  return randomBytes(8).toString('hex')
}

/** Credentials made safe to log or inspect: the id stays, the secret is replaced. */
export function redactCredentials(credentials: Credentials): { clientId: string; clientSecret: '[redacted]' } {
  return { clientId: credentials.clientId, clientSecret: '[redacted]' }
}
