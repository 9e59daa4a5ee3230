/** The transport layer: one reconnecting WebSocket and the pieces it is made of. */
export * from './backoff.js'
export * from './idleWatchdog.js'
export * from './logger.js'
export * from './socket.js'
export * from './timers.js'
export * from './typedEmitter.js'
