/** Order layer: labels, the order tracker, and settling orders whose answer was lost. */
export * from './instrumentCurrency.js'
export * from './labels.js'
export * from './orderSettlement.js'
export * from './orderShape.js'
export * from './orderTracker.js'
