/**
 * Named sessions and fork: a bot's session-scoped tokens (`session:NAME`) survive reconnects and
 * can be forked into a second named session; both then run at once, each with its own tokens,
 * and logging one out leaves the other working.
 *
 *   npx tsx examples/named-session-fork.ts
 *
 * Two clients share one session store, as two processes would share a FileSessionStore or a
 * RedisSessionStore: the second one finds the first one's session there.
 */
import { DeribitClient, MemorySessionStore, type SessionContext } from 'deribit-session'
import { check, openVenue, runExample, step } from './support.js'

await runExample('named-session-fork', async () => {
  await using venue = await openVenue({ needsKey: true })
  const credentials = venue.credentials
  check(credentials !== undefined, 'an API key')
  const store = new MemorySessionStore()

  // 1. The bot logs in with session scope: its tokens are bound to the session named 'bot'.
  await using bot = new DeribitClient({ url: venue.url, credentials, sessionName: 'bot', store })
  await bot.connect()
  step('bot', describe(bot.session))

  // 2. Fork: a new named session with the same rights. The connection moves to it; the 'bot'
  //    session stays valid on the exchange ("both sessions can operate concurrently").
  await bot.forkToken('reporter')
  step('forked', describe(bot.session))
  step('chain', bot.sessions.map((s) => `${s.transition}:${s.sessionName}${s.active ? '' : ' (left)'}`).join(' ← '))
  check(bot.session?.sessionName === 'reporter', 'the first client now runs as reporter')

  // 3. A second client (think: a second process) takes the 'bot' session from the store,
  //    or logs in to it afresh if the store no longer offers it.
  await using worker = new DeribitClient({ url: venue.url, credentials, sessionName: 'bot', store })
  worker.on('transition', (t) => step('worker', `${t.kind} (${t.cause}) into session ${t.to.sessionName}`))
  await worker.connect()
  check(worker.session?.sessionName === 'bot', 'the second client runs as bot')
  check(worker.session?.id !== bot.session?.id, 'two distinct sessions')

  // Both work at the same time, each with its own tokens.
  const [a, b] = await Promise.all([
    bot.call('private/get_account_summary', { currency: 'BTC' }),
    worker.call('private/get_account_summary', { currency: 'BTC' }),
  ])
  check(a.id === b.id, 'same account behind both sessions')
  step('both', `reporter and bot each read account ${a.id}`)

  // 4. Logging out 'bot' invalidates its tokens only; 'reporter' carries on.
  await worker.logout()
  step('logout', `bot: client ${worker.state}`)
  const after = await bot.call('private/get_account_summary', { currency: 'BTC' })
  check(after.id === a.id, 'reporter still works after bot logged out')
  step('reporter', 'still authenticated and working')
  await store.close()
})

function describe(session: SessionContext | undefined): string {
  if (!session) return 'no session'
  // Never print tokens: the context hides them from JSON and inspect anyway.
  return `session ${session.sessionName} (${session.transition}), scope "${session.scope}"`
}
