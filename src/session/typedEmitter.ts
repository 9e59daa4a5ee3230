/** The session layer and those above it use the transport layer's emitter: one emitter for the whole SDK. */
export { TypedEmitter } from '../transport/typedEmitter.js'
