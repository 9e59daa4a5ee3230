/**
 * Lua run by {@link RedisSessionStore} (EVAL: each script is one atomic step on the server).
 *
 * Layout under the key prefix P:
 * - `P session:<id>`  hash: `v` lockVersion, `n` session name, `e` refreshExpiresAt ('' = none),
 *                     `r` the record (JSON, or JWE when encrypted), `w` the id of the write
 *                     that stored it; native expiry from the refresh token's lifetime.
 * - `P sessions`      set of every stored id (the index getAll and revoke walk; a session count
 *                     per API key is small, so one set beats per-field indexes for simplicity).
 * - `P revoked:<name>` string `<until>,<at>` with a native TTL.
 * - `P revocations`   pub/sub channel; messages are JSON `{name, at, until}`.
 *
 * Every script takes the caller's clock (`now`) so expiry and revocation are judged by the same
 * clock as the memory and file stores; native TTLs only reclaim memory.
 *
 * Every script declares every key it touches (KEYS), as a Cluster requires; with a hash tag in
 * P (the default `{deribit-session}:`) they all live in one slot, so each script runs whole on
 * one node. Where the keys depend on the index (getAll, revoke), the caller reads the index
 * first and the script refuses, for a retry, if the index changed meanwhile.
 */

/**
 * Compare-and-set. KEYS: session, sessions set, revoked:<name>.
 * ARGV: expected version ('' = none may exist), new version, now, name, refreshExpiresAt (''), record, pttl, id,
 * write id (random per upsert call, the same when it is sent again).
 * Returns 'OK' (also when this exact write is already stored), 'REVOKED' or 'CONFLICT:<found version or empty>'.
 */
export const UPSERT_SCRIPT = `
local now = tonumber(ARGV[3])
local rev = redis.call('GET', KEYS[3])
if rev then
  local untilMs = tonumber(string.match(rev, '^([^,]+)'))
  if untilMs and untilMs > now then return 'REVOKED' end
end
local cur = redis.call('HMGET', KEYS[1], 'v', 'e')
local v = cur[1]
if v and cur[2] and cur[2] ~= '' and tonumber(cur[2]) <= now then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[8])
  v = false
end
-- This very write is already there: a resend after a lost answer (a failover) is not a conflict.
if v == ARGV[2] and redis.call('HGET', KEYS[1], 'w') == ARGV[9] then return 'OK' end
if (v or '') ~= ARGV[1] then return 'CONFLICT:' .. (v or '') end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'n', ARGV[4], 'e', ARGV[5], 'r', ARGV[6], 'w', ARGV[9])
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call('SADD', KEYS[2], ARGV[8])
return 'OK'
`

/**
 * Deletes a live entry, optionally only at a given version. KEYS: session, sessions set.
 * ARGV: id, now, version ('' = any). Returns 1 when a live entry went, else 0 (an expired one is removed too).
 */
export const DELETE_SCRIPT = `
local cur = redis.call('HMGET', KEYS[1], 'v', 'e')
if not cur[1] then
  redis.call('SREM', KEYS[2], ARGV[1])
  return 0
end
if cur[2] and cur[2] ~= '' and tonumber(cur[2]) <= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  redis.call('SREM', KEYS[2], ARGV[1])
  return 0
end
if ARGV[3] ~= '' and cur[1] ~= ARGV[3] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
`

/** True when the set KEYS[1] holds exactly the ids ARGV[from..from+n-1] (the caller's view of the index). */
const INDEX_UNCHANGED = `
local function indexUnchanged(from, n)
  if redis.call('SCARD', KEYS[1]) ~= n then return false end
  for i = from, from + n - 1 do
    if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 0 then return false end
  end
  return true
end
`

/**
 * The given entries, as a flat list id, v, e, r, ...; drops ids whose key expired natively.
 * KEYS: sessions set, then session:<id> for each id. ARGV: the ids, in the same order.
 */
export const GET_MANY_SCRIPT = `
local out = {}
for i, id in ipairs(ARGV) do
  local cur = redis.call('HMGET', KEYS[i + 1], 'v', 'e', 'r')
  if cur[1] then
    table.insert(out, id)
    table.insert(out, cur[1])
    table.insert(out, cur[2] or '')
    table.insert(out, cur[3] or '')
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return out
`

/**
 * Revokes a name: records it (when pttl > 0), deletes its entries, publishes.
 * KEYS: sessions set, revoked:<name>, then session:<id> for each id of the index.
 * ARGV: '<until>,<at>', pttl, name, channel, message, then the ids. Returns the number of
 * entries deleted, or -1 (having changed nothing) when the index is no longer those ids.
 */
export const REVOKE_SCRIPT = `${INDEX_UNCHANGED}
if not indexUnchanged(6, #ARGV - 5) then return -1 end
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2]) end
local removed = 0
for i = 6, #ARGV do
  local key = KEYS[i - 3]
  local n = redis.call('HGET', key, 'n')
  if not n then
    redis.call('SREM', KEYS[1], ARGV[i])
  elseif n == ARGV[3] then
    redis.call('DEL', key)
    redis.call('SREM', KEYS[1], ARGV[i])
    removed = removed + 1
  end
end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return removed
`
