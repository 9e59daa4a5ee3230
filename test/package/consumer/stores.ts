// A consumer of the file store: it needs no ioredis.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileSessionStore } from 'deribit-session/stores/file'

const dir = await mkdtemp(join(tmpdir(), 'consumer-store-'))
const store = new FileSessionStore({ path: join(dir, 'sessions.json') })
try {
  console.log(JSON.stringify({ sessions: (await store.getAll()).length }))
} finally {
  await store.close()
  await rm(dir, { recursive: true, force: true })
}
