// A CommonJS consumer: TypeScript emits require('deribit-session'), which Node 20.19+ loads (require(esm)).
import { DEFAULT_BACKOFF, DeribitClient } from 'deribit-session'

const client = new DeribitClient({ url: 'ws://127.0.0.1:1/ws/api/v2' })
console.log(JSON.stringify({ client: client instanceof DeribitClient, backoff: typeof DEFAULT_BACKOFF.initialDelayMs }))
