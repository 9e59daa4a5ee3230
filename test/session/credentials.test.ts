import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { DeribitError, ProtocolError } from '../../src/errors.js'
import { newNonce, redactCredentials, signatureAuthParams } from '../../src/session/credentials.js'
import {
  authenticateWithRefreshToken,
  authenticateWithSignature,
  exchangeToken,
  forkToken,
} from '../../src/session/tokenOperations.js'
import { FakeRpc } from './fakeRpc.js'

const credentials = { clientId: 'AMANDA', clientSecret: 'AMANDASECRECT' }
const answer = {
  access_token: 'ACCESS-CANARY',
  refresh_token: 'REFRESH-CANARY',
  expires_in: 900,
  scope: 'session:x',
  token_type: 'bearer',
}

describe('signatureAuthParams', () => {
  it('matches the published test vector and never carries the secret', () => {
    const params = signatureAuthParams(credentials, { now: 1576074319000, nonce: '1iqt2wls' })
    expect(params).toEqual({
      grant_type: 'client_signature',
      client_id: 'AMANDA',
      timestamp: 1576074319000,
      nonce: '1iqt2wls',
      data: '',
      signature: '56590594f97921b09b18f166befe0d1319b198bbcdad7ca73382de2f88fe9aa1',
    })
    expect(JSON.stringify(params)).not.toContain('AMANDASECRECT')
  })

  it('passes scope through and signs data', () => {
    const a = signatureAuthParams(credentials, { now: 1, nonce: 'n', scope: 'session:bot' })
    const b = signatureAuthParams(credentials, { now: 1, nonce: 'n', data: 'x' })
    expect(a.scope).toBe('session:bot')
    expect(b.scope).toBeUndefined()
    expect(b.signature).not.toBe(a.signature)
  })

  it('redacts credentials and makes distinct nonces', () => {
    const shown = inspect(redactCredentials(credentials), { showHidden: true })
    expect(shown).not.toContain('AMANDASECRECT')
    expect(shown).toContain('AMANDA')
    expect(newNonce()).not.toBe(newNonce())
  })
})

describe('token operations', () => {
  it('sends the right method and params for each operation', async () => {
    const rpc = new FakeRpc()
    for (const m of ['public/auth', 'public/exchange_token', 'public/fork_token']) rpc.on(m, () => answer)
    const signal = new AbortController().signal
    await authenticateWithSignature(rpc, credentials, { now: 5, nonce: 'n', scope: 'session:a' }, { signal })
    await authenticateWithRefreshToken(rpc, 'r1')
    await exchangeToken(rpc, 'r2', 12, { scope: 'session:b' })
    await exchangeToken(rpc, 'r3', 13)
    expect(await forkToken(rpc, 'r4', 'bot2', { timeoutMs: 5 })).toEqual(answer)
    expect(rpc.calls.map((c) => [c.method, c.params])).toEqual([
      ['public/auth', expect.objectContaining({ grant_type: 'client_signature', scope: 'session:a', timestamp: 5 })],
      ['public/auth', { grant_type: 'refresh_token', refresh_token: 'r1' }],
      ['public/exchange_token', { refresh_token: 'r2', subject_id: 12, scope: 'session:b' }],
      ['public/exchange_token', { refresh_token: 'r3', subject_id: 13 }],
      ['public/fork_token', { refresh_token: 'r4', session_name: 'bot2' }],
    ])
    expect(rpc.calls[0]?.options?.signal).toBe(signal)
    expect(rpc.calls[4]?.options).toEqual({ timeoutMs: 5 })
  })

  it.each([
    ['null', null],
    ['array', []],
    ['no access_token', { ...answer, access_token: undefined }],
    ['empty refresh_token', { ...answer, refresh_token: '' }],
    ['string expires_in', { ...answer, expires_in: '900' }],
    ['no scope', { ...answer, scope: undefined }],
  ])('rejects a malformed answer (%s) with ProtocolError, without echoing tokens', async (_name, bad) => {
    const rpc = new FakeRpc().on('public/auth', () => ({ ...(bad as object), secretish: 'SECRET-CANARY' }))
    if (bad === null || Array.isArray(bad)) rpc.on('public/auth', () => bad)
    const error = await authenticateWithRefreshToken(rpc, 'TOKEN-CANARY').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ProtocolError)
    expect((error as DeribitError).code).toBe('PROTOCOL')
    expect(String((error as Error).message)).not.toContain('TOKEN-CANARY')
    expect(String((error as Error).message)).not.toContain('ACCESS-CANARY')
  })

  it('passes exchange errors through unchanged', async () => {
    const failure = new DeribitError('AUTH_FAILED', 'public/auth failed: unauthorized (13009)')
    const rpc = new FakeRpc().on('public/auth', () => {
      throw failure
    })
    await expect(authenticateWithRefreshToken(rpc, 'r')).rejects.toBe(failure)
  })
})
