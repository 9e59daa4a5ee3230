/** Protocol facts shared by the client and the simulator; neither depends on the other. */
export * from './channelNames.js'
export * from './channelPayloads.js'
export * from './channels.js'
export * from './errorCodes.js'
export * from './matchingEngine.js'
export type * from './methodTypes.js'
export * from './signature.js'
export type * from './types.js'
