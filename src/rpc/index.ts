/** The JSON-RPC layer: frame parsing, call correlation, credit pacing and retry policy. */
export * from './callPolicy.js'
export * from './creditLimiter.js'
export * from './frame.js'
export * from './rpcClient.js'
