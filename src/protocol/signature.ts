import { createHmac } from 'node:crypto'

/**
 * The `client_signature` string a WebSocket `public/auth` signs:
 * `timestamp + "\n" + nonce + "\n" + data`. An empty `data` keeps both newlines,
 * so the string ends in `\n` (checked against Deribit's published test vector).
 */
export function wsStringToSign(timestamp: number, nonce: string, data = ''): string {
  return `${timestamp}\n${nonce}\n${data}`
}

/**
 * Lower-case hex HMAC-SHA256 of {@link wsStringToSign}, keyed by the client secret.
 *
 * @example
 * wsSignature('AMANDASECRECT', 1576074319000, '1iqt2wls')
 * // '56590594f97921b09b18f166befe0d1319b198bbcdad7ca73382de2f88fe9aa1'
 */
export function wsSignature(clientSecret: string, timestamp: number, nonce: string, data = ''): string {
  return createHmac('sha256', clientSecret)
    .update(wsStringToSign(timestamp, nonce, data), 'utf8')
    .digest('hex')
}

/**
 * The HTTP `deri-hmac-sha256` signature: HMAC-SHA256 of
 * `ts\nnonce\nMETHOD\nURI\nbody\n`, where URI is the path with its query string.
 */
export function httpSignature(
  clientSecret: string,
  timestamp: number,
  nonce: string,
  httpMethod: string,
  uri: string,
  body: string,
): string {
  const toSign = `${timestamp}\n${nonce}\n${httpMethod.toUpperCase()}\n${uri}\n${body}\n`
  return createHmac('sha256', clientSecret).update(toSign, 'utf8').digest('hex')
}
