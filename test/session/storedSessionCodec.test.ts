import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import { StoreError } from '../../src/errors.js'
import { toStoredSession } from '../../src/session/sessionStore.js'
import { decodeStoredSession, encodeStoredSession } from '../../src/session/storedSessionCodec.js'
import { sampleContext } from './storeContract.js'

describe('stored session codec', () => {
  it('round-trips through JSON with tokens, and the decoded session hides them again', () => {
    const ctx = sampleContext({ subjectId: 4 })
    const stored = toStoredSession(ctx, { clientId: 'k', refreshExpiresAt: 99, lastCallAt: 5 })
    const json = JSON.stringify(encodeStoredSession(stored))
    expect(json).toContain(ctx.refreshToken)
    const decoded = decodeStoredSession(JSON.parse(json))
    expect(decoded.context.accessToken).toBe(ctx.accessToken)
    expect(decoded.context.refreshToken).toBe(ctx.refreshToken)
    expect(JSON.stringify(decoded)).toBe(JSON.stringify(stored))
    expect(inspect(decoded, { depth: 10, showHidden: true })).not.toContain(ctx.refreshToken)
    expect(Object.isFrozen(decoded.context)).toBe(true)
  })

  it('refuses malformed records with STORE_CORRUPT, without echoing values', () => {
    const good = encodeStoredSession(toStoredSession(sampleContext(), { clientId: 'k' }))
    const cases: unknown[] = [
      null,
      [],
      { ...good, v: 2 },
      { ...good, context: { ...good.context, refreshToken: 42 } },
      { ...good, context: { ...good.context, transition: 'teleport' } },
      { ...good, context: { ...good.context, expiresAt: 'SECRET-VALUE' } },
      { ...good, metadata: undefined },
    ]
    for (const bad of cases) {
      let error: unknown
      try {
        decodeStoredSession(bad)
      } catch (e) {
        error = e
      }
      expect(error).toBeInstanceOf(StoreError)
      expect((error as StoreError).code).toBe('STORE_CORRUPT')
      expect((error as StoreError).message).not.toContain('SECRET-VALUE')
    }
  })
})
