/**
 * What the conformance tests tolerate, by name. Two kinds:
 * - the spec's own defects: its examples fail its own schemas (the tests check these lists against
 *   the spec, so they cannot rot), plus a few its own field text contradicts;
 * - the simulator's open gaps: methods that answer but not yet per the spec, and channel families
 *   not yet delivering. The tests assert each gap is still real, so whoever closes one must delete
 *   its line: these lists only shrink.
 */

/** Methods whose response examples fail the spec's own response schema. */
export const METHODS_WITH_DEFECTIVE_EXAMPLES: readonly string[] = [
  'private/accept_block_rfq',
  'private/buy',
  'private/change_api_key_name',
  'private/change_margin_model',
  'private/change_scope_in_api_key',
  'private/close_position',
  'private/create_api_key',
  'private/create_block_rfq',
  'private/create_subaccount',
  'private/disable_api_key',
  'private/edit_api_key',
  'private/enable_api_key',
  'private/execute_block_trade',
  'private/get_access_log',
  'private/get_account_summaries',
  'private/get_account_summary',
  'private/get_address_book',
  'private/get_block_rfq_quotes',
  'private/get_block_rfqs',
  'private/get_block_trade',
  'private/get_block_trade_requests',
  'private/get_block_trades',
  'private/get_broker_trades',
  'private/get_reward_eligibility',
  'private/get_settlement_history_by_currency',
  'private/get_settlement_history_by_instrument',
  'private/get_subaccounts',
  'private/get_transaction_log',
  'private/get_trigger_order_history',
  'private/get_user_locks',
  'private/get_user_trades_by_currency',
  'private/get_user_trades_by_currency_and_time',
  'private/get_user_trades_by_instrument',
  'private/get_user_trades_by_instrument_and_time',
  'private/list_api_keys',
  'private/list_custody_accounts',
  'private/move_positions',
  'private/reset_api_key',
  'private/sell',
  'private/set_clearance_originator',
  'private/set_mmp_config',
  'public/get_apr_history',
  'public/get_currencies',
  'public/get_expirations',
  'public/get_historical_volatility',
  'public/get_index_price_names',
  'public/get_instrument',
  'public/get_instruments',
  'public/get_last_settlements_by_currency',
  'public/get_last_settlements_by_instrument',
  'public/get_supported_index_names',
  'public/get_volatility_index_data',
  'public/status',
]

/** Channel families whose notification examples fail the spec's own payload schema (arrays typed object). */
export const CHANNELS_WITH_DEFECTIVE_EXAMPLES: readonly string[] = [
  'trades.(instrument_name).(interval)',
  'trades.(kind).(currency).(interval)',
  'deribit_price_ranking.(index_name)',
  'markprice.options.(index_name)',
  'user.trades.(instrument_name).(interval)',
  'user.trades.(kind).(currency).(interval)',
  'user.combo_trades.(instrument_name).(interval)',
  'user.combo_trades.(kind).(currency).(interval)',
  'user.orders.(instrument_name).(interval)',
  'user.orders.(kind).(currency).(interval)',
  'block_rfq.maker.quotes.(currency)',
]

/**
 * Mismatches the spec itself contradicts elsewhere, by signature (see `signature` in specSchemas.ts):
 * - `continuation_with_null` is documented as NULL when there is no next page, but typed integer;
 * - the instrument schema allows only `USD` as `quote_currency`, while its own `get_instrument`
 *   example quotes an option in `BTC` (options quote in their coin, linear instruments in USDC);
 * - `continuation` is typed string, while the spec's own `get_block_rfqs` example ends with null;
 * - `underlying_index` is typed number, while its own field text names it a future's name or
 *   `index_price`, and its own example carries `"index_price"`;
 * - the instrument schema allows only `BTC` and `ETH` as `settlement_currency`, while the same
 *   schema's `counter_currency` and the `currency` param of `get_instruments` name USDC, which
 *   the linear perpetuals settle in.
 */
export const SPEC_TEXT_DEFECTS: ReadonlySet<string> = new Set([
  '/result/underlying_index #/components/schemas/underlying_index/type must be number',
  '/result/settlement_currency #/properties/settlement_currency/enum must be equal to one of the allowed values',
  '/result/*/settlement_currency #/properties/settlement_currency/enum must be equal to one of the allowed values',
  '/result/continuation #/components/schemas/continuation_with_null/type must be integer',
  '/result/*/quote_currency #/properties/quote_currency/enum must be equal to one of the allowed values',
  '/result/continuation #/components/schemas/continuation/type must be string',
])

/**
 * Simulated methods whose answer to valid params is not yet what the spec says, with why.
 * Owners: the market and trading engineers of issue 14. Delete a line when its method conforms.
 */
export const NOT_YET_CONFORMING: Readonly<Record<string, string>> = {}

/**
 * Channel families the simulator does not yet serve, though it accepts their subscription
 * (`[]`, or subscribed with nothing ever sent). Each must come to deliver payloads of the spec's
 * shape, or be refused with an error. Owners: the market and trading engineers of issue 14.
 */
export const NOT_YET_DELIVERING: readonly string[] = []

/**
 * Documented params the simulator reads (their type and enum are checked) but that change nothing
 * here, by method, with why; the README's simulator section lists them. Every other documented
 * param of an implemented method is honoured or refused (test/conformance/params.test.ts).
 */
export const PARAMS_WITHOUT_EFFECT: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  'private/get_order_history_by_currency': { historical: 'one store: recent and historical records are the same' },
  'private/get_order_history_by_instrument': { historical: 'one store: recent and historical records are the same' },
  'private/get_user_trades_by_currency': { historical: 'one store: recent and historical records are the same' },
  'private/get_user_trades_by_instrument': { historical: 'one store: recent and historical records are the same' },
  'private/get_user_trades_by_currency_and_time': {
    historical: 'one store: recent and historical records are the same',
  },
  'private/get_user_trades_by_instrument_and_time': {
    historical: 'one store: recent and historical records are the same',
  },
  'private/get_user_trades_by_order': { historical: 'one store: recent and historical records are the same' },
  'private/cancel_all_by_instrument': { include_combos: 'no combo instruments are listed' },
  'public/get_supported_index_names': { type: 'every simulated index prices both spot and derivatives' },
  'private/mass_quote': { wait_for_response: 'matching is synchronous: every answer carries its matching results' },
  'private/change_margin_model': { dry_run: 'only the current model is accepted, so nothing changes either way' },
}
