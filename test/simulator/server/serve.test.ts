import { afterEach, describe, expect, it, vi } from 'vitest'
import { parseServeArgs, serveSimulator } from '../../../src/simulator/serve.js'
import { authCreds, BareClient } from './helpers.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('serveSimulator', () => {
  it('parses its flags and rejects unknown ones', () => {
    expect(
      parseServeArgs([
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--seed',
        '3',
        '--token-lifetime',
        '60',
        '--subaccounts',
        '2',
      ]),
    ).toEqual({
      options: { port: 0, host: '127.0.0.1', seed: 3, tokenLifetimeSec: 60 },
      subaccounts: 2,
    })
    expect(() => parseServeArgs(['--bogus'])).toThrow(/unknown flag/)
    expect(() => parseServeArgs(['--port', 'x'])).toThrow(/needs a number/)
  })

  it('prints one JSON line with the account, serves, and closes on SIGTERM', async () => {
    const lines: string[] = []
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk))
      return true
    })
    const serving = serveSimulator(['--port', '0', '--subaccounts', '1', '--token-lifetime', '30'])
    while (lines.length === 0) await new Promise((r) => setTimeout(r, 5))
    vi.restoreAllMocks()
    expect(lines).toHaveLength(1)
    const info = JSON.parse(lines[0]!) as {
      url: string
      httpUrl: string
      clientId: string
      clientSecret: string
      mainAccountId: number
      subaccountIds: number[]
    }
    expect(Object.keys(info).sort()).toEqual([
      'clientId',
      'clientSecret',
      'httpUrl',
      'mainAccountId',
      'subaccountIds',
      'url',
    ])
    expect(info.subaccountIds).toHaveLength(1)
    const c = await BareClient.connect(info.url)
    expect((await authCreds(c, info)).expires_in).toBe(30)
    process.emit('SIGTERM')
    await serving
    await c.closed
  })
})
