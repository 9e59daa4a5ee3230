/**
 * Lua run by {@link RedisSessionStore} (EVAL: each script is one atomic step on the server).
 *
 * Layout under the key prefix P:
 * - `P session:<id>`  hash: `v` lockVersion, `n` session name, `e` refreshExpiresAt ('' = none),
 *                     `r` the record (JSON, or JWE when encrypted); native expiry from the
 *                     refresh token's lifetime.
 * - `P sessions`      set of every stored id (the index getAll and revoke walk; a session count
 *                     per API key is small, so one set beats per-field indexes for simplicity).
 * - `P revoked:<name>` string `<until>,<at>` with a native TTL.
 * - `P revocations`   pub/sub channel; messages are JSON `{name, at, until}`.
 *
 * Every script takes the caller's clock (`now`) so expiry and revocation are judged by the same
 * clock as the memory and file stores; native TTLs only reclaim memory.
 */

/**
 * Compare-and-set. KEYS: session, sessions set, revoked:<name>.
 * ARGV: expected version ('' = none may exist), new version, now, name, refreshExpiresAt (''), record, pttl, id.
 * Returns 'OK', 'REVOKED' or 'CONFLICT:<found version or empty>'.
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
if (v or '') ~= ARGV[1] then return 'CONFLICT:' .. (v or '') end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'n', ARGV[4], 'e', ARGV[5], 'r', ARGV[6])
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

/**
 * Every entry, as a flat list id, v, e, r, ...; drops ids whose key expired natively.
 * KEYS: sessions set. ARGV: session key prefix.
 */
export const GET_ALL_SCRIPT = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local cur = redis.call('HMGET', ARGV[1] .. id, 'v', 'e', 'r')
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
 * Revokes a name: records it (when pttl > 0), deletes its entries, publishes. KEYS: revoked:<name>, sessions set.
 * ARGV: '<until>,<at>', pttl, name, session key prefix, channel, message. Returns the number of entries deleted.
 */
export const REVOKE_SCRIPT = `
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
local removed = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local key = ARGV[4] .. id
  local n = redis.call('HGET', key, 'n')
  if not n then
    redis.call('SREM', KEYS[2], id)
  elseif n == ARGV[3] then
    redis.call('DEL', key)
    redis.call('SREM', KEYS[2], id)
    removed = removed + 1
  end
end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return removed
`
