import { describe, expect, it } from 'vitest'
import { DeribitClient } from '../../src/client.js'
import { finished, readLines, spawnCli } from './cliProcess.js'

describe('deribit-session simulator', () => {
  it('prints one JSON line with its URLs and an account, serves them, and exits 0 on SIGTERM', async () => {
    const child = spawnCli(['simulator', '--subaccounts', '2', '--seed', '5'])
    const done = finished(child)
    try {
      const [line] = await readLines(child, 1)
      const info = JSON.parse(line as string) as {
        url: string
        httpUrl: string
        clientId: string
        clientSecret: string
        mainAccountId: number
        subaccountIds: number[]
      }
      expect(info.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws\/api\/v2$/)
      expect(info.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(info.subaccountIds).toHaveLength(2)

      // A bot in any language: the WebSocket with the printed key…
      await using client = new DeribitClient({
        url: info.url,
        credentials: { clientId: info.clientId, clientSecret: info.clientSecret },
      })
      await client.connect()
      await client.exchangeToken(info.subaccountIds[0] as number)
      expect(client.subjectId).toBe(info.subaccountIds[0])
      // …or plain HTTP.
      const response = await fetch(`${info.httpUrl}/api/v2/public/get_time`)
      const body = (await response.json()) as { result: unknown }
      expect(typeof body.result).toBe('number')
    } finally {
      child.kill('SIGTERM')
    }
    const run = await done
    expect(run.code).toBe(0)
  })

  it('refuses a bad flag value with exit 2', async () => {
    const run = await finished(spawnCli(['simulator', '--port', '70000']))
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--port needs a whole number from 0 to 65535, got '70000'")
  })
})
