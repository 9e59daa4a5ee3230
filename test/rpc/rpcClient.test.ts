import { afterEach, describe, expect, it, vi } from 'vitest'
import { AuthError, DeribitError, type ProtocolError, RateLimitedError, RpcError } from '../../src/errors.js'
import { CreditLimiter } from '../../src/rpc/creditLimiter.js'
import { RpcClient, type RpcClientOptions, type RpcSocket } from '../../src/rpc/rpcClient.js'
import type { Logger } from '../../src/transport/logger.js'

class FakeSocket implements RpcSocket {
  state = 'open'
  epoch = 1
  accept = true
  readonly sent: Array<{ id: number; method: string; params?: Record<string, unknown> }> = []
  send(text: string): boolean {
    if (this.state !== 'open' || !this.accept) return false
    this.sent.push(JSON.parse(text))
    return true
  }
}

interface LogLine {
  level: string
  msg: string
  meta: Record<string, unknown>
}

function setup(options: Partial<RpcClientOptions> = {}) {
  const socket = new FakeSocket()
  const logs: LogLine[] = []
  const logger: Logger = {
    debug: (meta, msg) => logs.push({ level: 'debug', msg, meta }),
    info: (meta, msg) => logs.push({ level: 'info', msg, meta }),
    warn: (meta, msg) => logs.push({ level: 'warn', msg, meta }),
    error: (meta, msg) => logs.push({ level: 'error', msg, meta }),
  }
  const notifications: Array<[string, unknown, string | undefined]> = []
  const protocolErrors: ProtocolError[] = []
  const rpc = new RpcClient({
    socket,
    logger,
    onNotification: (channel, data, label) => notifications.push([channel, data, label]),
    onProtocolError: (error) => protocolErrors.push(error),
    ...options,
  })
  const answer = (id: number, body: Record<string, unknown>, epoch = socket.epoch): void =>
    rpc.handleMessage(JSON.stringify({ jsonrpc: '2.0', id, ...body }), epoch)
  return { socket, rpc, logs, notifications, protocolErrors, answer }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('RpcClient', () => {
  it('correlates answers by id, in any order', async () => {
    const { socket, rpc, answer } = setup()
    const a = rpc.call<string>('public/get_time')
    const b = rpc.call<string>('public/test', { expected_result: 'x' })
    expect(socket.sent).toEqual([
      { jsonrpc: '2.0', id: 1, method: 'public/get_time' },
      { jsonrpc: '2.0', id: 2, method: 'public/test', params: { expected_result: 'x' } },
    ])
    expect(rpc.pendingCount).toBe(2)
    answer(2, { result: 'b' })
    answer(1, { result: 'a', usIn: 1, usOut: 2 })
    expect(await a).toBe('a')
    expect(await b).toBe('b')
    expect(rpc.pendingCount).toBe(0)
  })

  it('uses strictly increasing ids that are never reused', async () => {
    vi.useFakeTimers()
    const { socket, rpc, answer } = setup({ requestTimeoutMs: 10 })
    const settled: Array<Promise<unknown>> = []
    for (let i = 0; i < 5; i++) settled.push(rpc.call('public/test').catch(() => undefined))
    answer(3, { result: 1 })
    vi.advanceTimersByTime(10)
    await Promise.all(settled)
    for (let i = 0; i < 5; i++) settled.push(rpc.call('public/test').catch(() => undefined))
    vi.advanceTimersByTime(10)
    await Promise.all(settled)
    const ids = socket.sent.map((frame) => frame.id)
    expect(ids).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    expect(rpc.lastId).toBe(10)
  })

  it('maps exchange errors to typed errors with the exchange code, never leaking params', async () => {
    const limiter = new CreditLimiter()
    const exhausted = vi.spyOn(limiter, 'exhausted')
    const { rpc, answer, logs } = setup({ limiter })
    const secret = 'SECRET-TOKEN-123'
    const auth = rpc.call('public/auth', { grant_type: 'refresh_token', refresh_token: secret })
    const limited = rpc.call('public/subscribe', { channels: ['a'] })
    const other = rpc.call('private/buy', { access_token: secret })
    answer(1, { error: { code: 13009, message: 'unauthorized' } })
    answer(2, { error: { code: 10028, message: 'too_many_requests' } })
    answer(3, { error: { code: 11050, message: 'bad_request', data: { reason: 'x', param: 'amount' } } })
    const errors = await Promise.all([auth, limited, other].map((p) => p.catch((e: unknown) => e)))
    expect(errors[0]).toBeInstanceOf(AuthError)
    expect(errors[0]).toMatchObject({ code: 'AUTH_FAILED', exchangeCode: 13009, method: 'public/auth' })
    expect(errors[1]).toBeInstanceOf(RateLimitedError)
    expect(errors[1]).toMatchObject({ code: 'RATE_LIMITED', exchangeCode: 10028 })
    expect(exhausted).toHaveBeenCalledWith('public/subscribe')
    expect(errors[2]).toBeInstanceOf(RpcError)
    expect(errors[2]).toMatchObject({ exchangeCode: 11050, data: { reason: 'x', param: 'amount' } })
    for (const error of errors) expect(String((error as Error).message)).not.toContain(secret)
    expect(JSON.stringify(logs)).not.toContain(secret)
  })

  it('times out, cleans up, and ignores the late answer', async () => {
    vi.useFakeTimers()
    const { rpc, answer, logs } = setup()
    const slow = rpc.call('public/get_time', undefined, { timeoutMs: 100 })
    const other = rpc.call('public/test')
    vi.advanceTimersByTime(100)
    await expect(slow).rejects.toMatchObject({ code: 'TIMEOUT', method: 'public/get_time' })
    expect(rpc.pendingCount).toBe(1)
    answer(1, { result: 'late' })
    expect(logs).toContainEqual({ level: 'debug', msg: 'ignored a late answer to a settled call', meta: { id: 1 } })
    answer(2, { result: 'fine' })
    expect(await other).toBe('fine')
    expect(rpc.pendingCount).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('times every call out at its own deadline, a shorter one issued after a longer one included', async () => {
    vi.useFakeTimers()
    const { rpc } = setup()
    const outcome = (p: Promise<unknown>) =>
      p.then(
        () => 'answered',
        (e: DeribitError) => e.code,
      )
    const long = outcome(rpc.call('public/get_time', undefined, { timeoutMs: 1000 }))
    const short = outcome(rpc.call('public/test', undefined, { timeoutMs: 100 }))
    const middle = outcome(rpc.call('public/status', undefined, { timeoutMs: 500 }))
    await vi.advanceTimersByTimeAsync(99)
    expect(rpc.pendingCount).toBe(3)
    await vi.advanceTimersByTimeAsync(1)
    expect(await short).toBe('TIMEOUT')
    expect(rpc.pendingCount).toBe(2)
    await vi.advanceTimersByTimeAsync(399)
    expect(rpc.pendingCount).toBe(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(await middle).toBe('TIMEOUT')
    await vi.advanceTimersByTimeAsync(500)
    expect(await long).toBe('TIMEOUT')
    expect(rpc.pendingCount).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('request() reports to a sink: the answer in the turn it arrives, a failure before anything is written at once', () => {
    const { socket, rpc, answer } = setup()
    const outcomes: unknown[] = []
    const sink = {
      resolve: (value: unknown) => outcomes.push(['ok', value]),
      reject: (e: DeribitError) => outcomes.push(['error', e.code]),
    }
    rpc.request('public/test', {}, {}, sink)
    answer(1, { result: 'pong' })
    expect(outcomes).toEqual([['ok', 'pong']])
    socket.state = 'connecting'
    rpc.request('public/test', {}, {}, sink)
    expect(outcomes).toEqual([
      ['ok', 'pong'],
      ['error', 'NOT_CONNECTED'],
    ])
    expect(rpc.pendingCount).toBe(0)
  })

  it('aborts, removing its listener and timer', async () => {
    vi.useFakeTimers()
    const { rpc, answer } = setup()
    const controller = new AbortController()
    const remove = vi.spyOn(controller.signal, 'removeEventListener')
    const call = rpc.call('public/get_time', undefined, { signal: controller.signal })
    controller.abort()
    await expect(call).rejects.toMatchObject({ code: 'ABORTED' })
    expect(remove).toHaveBeenCalledWith('abort', expect.any(Function))
    expect(rpc.pendingCount).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
    answer(1, { result: 'late' })

    const ok = new AbortController()
    const removeOk = vi.spyOn(ok.signal, 'removeEventListener')
    const done = rpc.call('public/get_time', undefined, { signal: ok.signal })
    answer(2, { result: 'ok' })
    expect(await done).toBe('ok')
    expect(removeOk).toHaveBeenCalledTimes(1)

    const { socket: idle, rpc: rpc2 } = setup()
    await expect(rpc2.call('public/test', undefined, { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'ABORTED',
    })
    expect(idle.sent).toEqual([])
  })

  it('drops answers with unknown ids or from another connection', async () => {
    const { rpc, answer, logs } = setup()
    answer(99, { result: 1 })
    rpc.handleMessage('{"jsonrpc":"2.0","id":"abc","result":1}', 1)
    rpc.handleMessage('{"jsonrpc":"2.0","error":{"code":-32600,"message":"request entity too large"}}', 1)
    expect(logs.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
      'dropped an answer with an unknown id',
      'dropped an answer with an unknown id',
      'exchange error for no known call',
    ])
    const call = rpc.call('public/test')
    answer(1, { result: 'wrong connection' }, 7)
    expect(rpc.pendingCount).toBe(1)
    answer(1, { result: 'right' })
    expect(await call).toBe('right')
  })

  it('fails with NOT_CONNECTED and writes nothing when the socket is not open or not the expected epoch', async () => {
    const { socket, rpc } = setup()
    socket.state = 'connecting'
    await expect(rpc.call('public/test')).rejects.toMatchObject({
      code: 'NOT_CONNECTED',
      name: 'ConnectionClosedError',
    })
    socket.state = 'open'
    socket.epoch = 2
    await expect(rpc.call('public/test', undefined, { epoch: 1 })).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
    socket.accept = false
    await expect(rpc.call('public/test')).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
    expect(socket.sent).toEqual([])
    expect(rpc.pendingCount).toBe(0)
  })

  it('rejects requests that cannot be serialised or exceed 32 kB, writing nothing', async () => {
    const { socket, rpc } = setup()
    await expect(rpc.call('public/test', { big: 1n })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(rpc.call('public/subscribe', { channels: ['x'.repeat(40_000)] })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    })
    expect(socket.sent).toEqual([])
  })

  it('failPending rejects only the calls of the closed epoch', async () => {
    const { socket, rpc, answer } = setup()
    const a = rpc.call('public/test')
    const b = rpc.call('private/buy', { amount: 1 })
    socket.epoch = 2
    const c = rpc.call('public/test')
    rpc.failPending(1)
    await expect(a).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
    await expect(b).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' })
    expect(rpc.pendingCount).toBe(1)
    answer(3, { result: 'c' }, 2)
    expect(await c).toBe('c')
    const d = rpc.call('public/test')
    rpc.failPending(2, (written) => new DeribitError('CLOSED', `closed ${written}`))
    await expect(d).rejects.toMatchObject({ code: 'CLOSED', message: 'closed true' })
  })

  it('answers test_request with public/test at once, bypassing an exhausted limiter', async () => {
    vi.useFakeTimers()
    const limiter = new CreditLimiter()
    limiter.exhausted('public/test')
    const { socket, rpc, answer, logs } = setup({ limiter })
    rpc.handleMessage('{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}}', 1)
    expect(socket.sent).toEqual([])
    rpc.handleMessage('{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}', 1)
    expect(socket.sent).toEqual([{ jsonrpc: '2.0', id: 1, method: 'public/test' }])
    answer(1, { result: { version: '1.2.26' } })
    expect(rpc.pendingCount).toBe(0)
    // A test_request from an old connection is not answered on the new one.
    socket.epoch = 2
    rpc.handleMessage('{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}', 1)
    await vi.advanceTimersByTimeAsync(0)
    expect(socket.sent).toHaveLength(1)
    expect(logs.some((l) => l.msg === 'answering test_request failed')).toBe(true)
  })

  it('charges the answer to a test_request to the credit pool, so paced calls leave room for it', () => {
    const limiter = new CreditLimiter()
    const before = limiter.available('public/test')
    const { rpc } = setup({ limiter })
    rpc.handleMessage('{"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}}', 1)
    expect(limiter.available('public/test')).toBeLessThan(before)
  })

  it('waits in the limiter, then fails without writing if the socket closed meanwhile', async () => {
    vi.useFakeTimers()
    const limiter = new CreditLimiter()
    limiter.exhausted('public/subscribe')
    const { socket, rpc } = setup({ limiter })
    const queued = rpc.call('public/subscribe', { channels: ['a'] }).catch((error: unknown) => error)
    const timedOut = rpc.call('public/subscribe', { channels: ['b'] }, { timeoutMs: 100 }).catch((e: unknown) => e)
    expect(rpc.pendingCount).toBe(2)
    expect(socket.sent).toEqual([])
    socket.state = 'connecting'
    await vi.advanceTimersByTimeAsync(100)
    expect(await timedOut).toMatchObject({ code: 'TIMEOUT' })
    expect(limiter.size).toBe(1)
    await vi.advanceTimersByTimeAsync(200)
    expect(await queued).toMatchObject({ code: 'NOT_CONNECTED' })
    expect(socket.sent).toEqual([])
    expect(limiter.size).toBe(0)
    expect(rpc.pendingCount).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('failPending also fails queued calls pinned to the closed epoch; clear() fails the rest', async () => {
    vi.useFakeTimers()
    const limiter = new CreditLimiter()
    limiter.exhausted('public/subscribe')
    const { rpc } = setup({ limiter })
    const pinned = rpc.call('public/subscribe', { channels: ['a'] }, { epoch: 1 })
    const unpinned = rpc.call('public/subscribe', { channels: ['b'] })
    rpc.failPending(1)
    await expect(pinned).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
    limiter.clear()
    await expect(unpinned).rejects.toMatchObject({ code: 'NOT_CONNECTED' })
    expect(rpc.pendingCount).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('hands notifications on and survives a throwing handler', () => {
    const { rpc, notifications, logs } = setup()
    rpc.handleMessage('{"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.X.raw","data":{"p":1}}}', 1)
    rpc.handleMessage(
      '{"jsonrpc":"2.0","method":"subscription","params":{"channel":"user.orders.any.any.raw","data":[],"label":"l"}}',
      1,
    )
    expect(notifications).toEqual([
      ['ticker.X.raw', { p: 1 }, undefined],
      ['user.orders.any.any.raw', [], 'l'],
    ])
    const { rpc: throwing, logs: throwingLogs } = setup({
      onNotification: () => {
        throw new Error('handler bug')
      },
    })
    expect(() =>
      throwing.handleMessage('{"jsonrpc":"2.0","method":"subscription","params":{"channel":"c","data":1}}', 1),
    ).not.toThrow()
    expect(throwingLogs).toContainEqual({
      level: 'error',
      msg: 'notification handler threw',
      meta: { channel: 'c', error: 'handler bug' },
    })
    expect(logs).toEqual([])
  })

  it('reports invalid frames without logging their content', () => {
    const { rpc, logs, protocolErrors } = setup()
    rpc.handleMessage('{"access_token":"SECRET", oops', 1)
    rpc.handleMessage('{"id":1,"result":{"__proto__":{"polluted":1}}}', 1)
    expect(protocolErrors.map((e) => e.code)).toEqual(['PROTOCOL', 'PROTOCOL'])
    expect(logs.map((l) => [l.level, l.meta?.reason])).toEqual([
      ['warn', 'not JSON'],
      ['warn', 'forbidden key (__proto__, constructor or prototype)'],
    ])
    expect(JSON.stringify(logs) + protocolErrors.map((e) => e.message).join()).not.toContain('SECRET')
  })
})
