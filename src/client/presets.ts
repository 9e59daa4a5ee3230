/**
 * Deribit's endpoints, to pass as `url`. There is deliberately no default,
 * so no bot reaches production by leaving out an option.
 */

/** Deribit's production WebSocket endpoint (real money). */
export const DERIBIT_PRODUCTION_URL = 'wss://www.deribit.com/ws/api/v2'

/** Deribit's testnet WebSocket endpoint (test.deribit.com: separate accounts, no real money). */
export const DERIBIT_TESTNET_URL = 'wss://test.deribit.com/ws/api/v2'
