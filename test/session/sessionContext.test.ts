import { inspect } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { AuthResult } from '../../src/protocol/types.js'
import {
  createSessionContext,
  isSessionScoped,
  sessionFromAuthResult,
  sessionNameFromScope,
  sessionSummary,
  withChanges,
} from '../../src/session/sessionContext.js'

const ACCESS = 'CANARY-ACCESS-7f3e9'
const REFRESH = 'CANARY-REFRESH-b81c2'

function auth(scope: string, expiresIn = 900): AuthResult {
  return { access_token: ACCESS, refresh_token: REFRESH, expires_in: expiresIn, scope, token_type: 'bearer' }
}

describe('SessionContext', () => {
  const ctx = sessionFromAuthResult(auth('session:bot trade:read_write mainaccount'), {
    transition: 'initial',
    now: 1_000_000,
  })

  it('keeps tokens readable but out of JSON and util.inspect', () => {
    expect(ctx.accessToken).toBe(ACCESS)
    expect(ctx.refreshToken).toBe(REFRESH)
    const json = JSON.stringify(ctx)
    const shown = inspect(ctx, { depth: 10, showHidden: true })
    const nested = inspect({ wrapper: [ctx] }, { depth: 10, showHidden: true })
    for (const text of [json, shown, nested, String(Object.keys(ctx)), JSON.stringify({ ...ctx })]) {
      expect(text).not.toContain(ACCESS)
      expect(text).not.toContain(REFRESH)
    }
    expect(shown).toContain('[redacted]')
    expect(JSON.parse(json)).toMatchObject({ sessionName: 'bot', scope: 'session:bot trade:read_write mainaccount' })
  })

  it('is frozen', () => {
    expect(Object.isFrozen(ctx)).toBe(true)
    expect(() => {
      ;(ctx as { active: boolean }).active = false
    }).toThrow(TypeError)
  })

  it('derives name, expiry, a fresh id and prevId from an auth answer', () => {
    expect(ctx.sessionName).toBe('bot')
    expect(ctx.expiresAt).toBe(1_000_000 + 900_000)
    expect(ctx.prevId).toBeUndefined()
    expect(ctx.transition).toBe('initial')
    expect(ctx.lockVersion).toBe(0)
    expect(isSessionScoped(ctx)).toBe(true)
    const forked = sessionFromAuthResult(auth('session:bot2 mainaccount'), { transition: 'fork', now: 2, prev: ctx })
    expect(forked.id).not.toBe(ctx.id)
    expect(forked.prevId).toBe(ctx.id)
    expect(forked.sessionName).toBe('bot2')
  })

  it('a refresh keeps the session id, createdAt and lockVersion and records lastRefreshedAt', () => {
    const stored = withChanges(ctx, { lockVersion: 4 })
    const refreshed = sessionFromAuthResult(auth('session:bot mainaccount', 60), {
      transition: 'refresh',
      now: 5_000_000,
      prev: stored,
    })
    expect(refreshed.id).toBe(ctx.id)
    expect(refreshed.createdAt).toBe(ctx.createdAt)
    expect(refreshed.lockVersion).toBe(4)
    expect(refreshed.lastRefreshedAt).toBe(5_000_000)
    expect(refreshed.expiresAt).toBe(5_060_000)
  })

  it('takes the subject from options on exchange and keeps it on refresh/fork', () => {
    const ex = sessionFromAuthResult(auth('session:sub'), { transition: 'exchange', now: 1, prev: ctx, subjectId: 12 })
    expect(ex.subjectId).toBe(12)
    const refreshed = sessionFromAuthResult(auth('session:sub'), { transition: 'refresh', now: 2, prev: ex })
    expect(refreshed.subjectId).toBe(12)
    const back = sessionFromAuthResult(auth('session:bot'), { transition: 'exchange', now: 3, prev: ex })
    expect(back.subjectId).toBeUndefined()
  })

  it('parses scope tokens', () => {
    expect(sessionNameFromScope('connection mainaccount')).toBeUndefined()
    expect(sessionNameFromScope('  trade:read   session:a:b  ')).toBe('a:b')
    expect(sessionNameFromScope('session: x')).toBeUndefined()
    expect(sessionNameFromScope('')).toBeUndefined()
    const conn = sessionFromAuthResult(auth('connection mainaccount'), { transition: 'initial', now: 0 })
    expect(isSessionScoped(conn)).toBe(false)
  })

  it('withChanges returns a new frozen copy with tokens still hidden', () => {
    const inactive = withChanges(ctx, { active: false, lockVersion: 7 })
    expect(inactive).not.toBe(ctx)
    expect(Object.isFrozen(inactive)).toBe(true)
    expect(inactive.active).toBe(false)
    expect(inactive.lockVersion).toBe(7)
    expect(inactive.refreshToken).toBe(REFRESH)
    expect(inactive.id).toBe(ctx.id)
    expect(ctx.active).toBe(true)
    expect(JSON.stringify(inactive)).not.toContain(REFRESH)
    expect(inspect(inactive, { showHidden: true })).not.toContain(ACCESS)
  })

  it('summarises without tokens', () => {
    const forked = createSessionContext({
      id: '3f2a9c',
      createdAt: 0,
      accessToken: ACCESS,
      refreshToken: REFRESH,
      expiresAt: 14 * 60_000 + 30_000,
      transition: 'fork',
      subjectId: 12,
      sessionName: 'bot',
      scope: 'session:bot',
      active: true,
      lockVersion: 0,
    })
    const line = sessionSummary(forked, 0)
    expect(line).toBe('session 3f2a… [fork] subject 12 name=bot scope=session expires in 14m')
    expect(sessionSummary(forked, forked.expiresAt + 1)).toContain('expired')
  })
})
