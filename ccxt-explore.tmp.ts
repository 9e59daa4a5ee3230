import ccxt from 'ccxt'
import { startSimulator } from './src/simulator/index.js'
const sim = await startSimulator({ marketRateHz: 50 })
const acct = sim.createAccount()
const ex = new ccxt.pro.deribit({ apiKey: acct.clientId, secret: acct.clientSecret })
ex.urls.api = { ...ex.urls.api, ws: sim.url, rest: sim.httpUrl }
await ex.loadHttpProxyAgent()
const S = 'BTC/USD:BTC'
const tryit = async (name: string, f: () => Promise<unknown>) => {
  try { const r = await Promise.race([f(), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 8000))]); console.log('OK  ', name, JSON.stringify(r)?.slice(0, 160)) } catch (e) { console.log('FAIL', name, String((e as Error).message).slice(0, 300)) }
}
await tryit('loadMarkets', async () => Object.keys(await ex.loadMarkets()).length)
await tryit('fetchTicker', () => ex.fetchTicker(S))
await tryit('fetchTickers', async () => Object.keys(await ex.fetchTickers()).length)
await tryit('fetchOrderBook', () => ex.fetchOrderBook(S))
await tryit('fetchTrades', () => ex.fetchTrades(S))
await tryit('fetchOHLCV', () => ex.fetchOHLCV(S, '1m', undefined, 5))
await tryit('fetchBalance', async () => (await ex.fetchBalance()).total)
await tryit('fetchPositions', () => ex.fetchPositions())
let id = ''
await tryit('createOrder limit', async () => { const o = await ex.createOrder(S, 'limit', 'buy', 10, 30000); id = o.id; return o })
await tryit('fetchOrder', () => ex.fetchOrder(id, S))
await tryit('fetchOpenOrders', () => ex.fetchOpenOrders(S))
await tryit('editOrder', () => ex.editOrder(id, S, 'limit', 'buy', 20, 30500))
await tryit('cancelOrder', () => ex.cancelOrder(id, S))
await tryit('createOrder market', () => ex.createOrder(S, 'market', 'buy', 10))
await tryit('fetchClosedOrders', () => ex.fetchClosedOrders(S))
await tryit('fetchMyTrades', () => ex.fetchMyTrades(S))
await tryit('cancelAllOrders', () => ex.cancelAllOrders(S))
await tryit('fetchTime', () => ex.fetchTime())
await tryit('fetchStatus', () => ex.fetchStatus())
await tryit('fetchFundingRate', () => ex.fetchFundingRate(S))
await tryit('watchTrades', () => ex.watchTrades(S))
await tryit('watchOrderBook', async () => (await ex.watchOrderBook(S)).bids.length)
await tryit('watchTicker', () => ex.watchTicker(S))
await tryit('watchOHLCV', () => ex.watchOHLCV(S, '1m'))
const w = ex.watchOrders(S); const wt = ex.watchMyTrades(S); const wb = ex.watchBalance()
await new Promise((r) => setTimeout(r, 1000))
await ex.createOrder(S, 'market', 'sell', 10)
await tryit('watchOrders', () => w)
await tryit('watchMyTrades', () => wt)
await tryit('watchBalance', async () => (await wb).total)
await ex.close(); await sim.close()
