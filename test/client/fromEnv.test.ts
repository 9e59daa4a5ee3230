import { describe, expect, it } from 'vitest'
import {
  DERIBIT_PRODUCTION_URL,
  DERIBIT_TESTNET_URL,
  DeribitClient,
  DeribitError,
  ENV_CLIENT_ID,
  ENV_CLIENT_SECRET,
  ENV_URL,
  fromEnv,
} from '../../src/index.js'
import { startSimulator } from '../../src/simulator/index.js'

describe('fromEnv()', () => {
  it('reads the variables the CLI and the examples read', () => {
    expect([ENV_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET]).toEqual([
      'DERIBIT_URL',
      'DERIBIT_CLIENT_ID',
      'DERIBIT_CLIENT_SECRET',
    ])
    expect(
      fromEnv({ DERIBIT_URL: ` ${DERIBIT_TESTNET_URL} `, DERIBIT_CLIENT_ID: 'id', DERIBIT_CLIENT_SECRET: 'secret' }),
    ).toEqual({ url: DERIBIT_TESTNET_URL, credentials: { clientId: 'id', clientSecret: 'secret' } })
    expect(fromEnv({ DERIBIT_URL: DERIBIT_PRODUCTION_URL, DERIBIT_CLIENT_ID: '' })).toEqual({
      url: DERIBIT_PRODUCTION_URL,
    })
  })

  it('refuses a missing URL or half a key with INVALID_ARGUMENT, never echoing the secret', () => {
    const refused = (env: Record<string, string>) => {
      try {
        fromEnv(env)
      } catch (error) {
        return error
      }
      throw new Error('fromEnv accepted it')
    }
    const noUrl = refused({ DERIBIT_CLIENT_ID: 'id', DERIBIT_CLIENT_SECRET: 'hunter2' })
    expect(noUrl).toBeInstanceOf(DeribitError)
    expect(noUrl).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect((noUrl as Error).message).toContain('DERIBIT_URL')
    const halfKey = refused({ DERIBIT_URL: DERIBIT_TESTNET_URL, DERIBIT_CLIENT_SECRET: 'hunter2' })
    expect(halfKey).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect((halfKey as Error).message).toContain('DERIBIT_CLIENT_ID')
    expect(JSON.stringify([String(noUrl), String(halfKey)])).not.toContain('hunter2')
  })

  it('gives options a client connects and authenticates with', async () => {
    await using sim = await startSimulator({ marketRateHz: 0 })
    const { clientId, clientSecret } = sim.createAccount()
    const env = { DERIBIT_URL: sim.url, DERIBIT_CLIENT_ID: clientId, DERIBIT_CLIENT_SECRET: clientSecret }
    await using client = new DeribitClient({ ...fromEnv(env), reconnect: false })
    await client.connect()
    expect(client.session?.scope).toContain('connection')
  })
})

describe('endpoint presets', () => {
  it('testnet: true connects to the testnet preset; url and testnet together, or neither, are refused', () => {
    expect(new DeribitClient({ testnet: true }).toJSON()).toMatchObject({ url: DERIBIT_TESTNET_URL })
    expect(new DeribitClient({ url: DERIBIT_PRODUCTION_URL }).toJSON()).toMatchObject({ url: DERIBIT_PRODUCTION_URL })
    for (const options of [{ url: DERIBIT_PRODUCTION_URL, testnet: true }, {}, { url: 'https://www.deribit.com' }]) {
      expect(() => new DeribitClient(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    }
  })
})
