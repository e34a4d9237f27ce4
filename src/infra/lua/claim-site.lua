--[[
  Records which site the data under a prefix belongs to, or checks it.
  KEYS[1] the site record (hash: url, schema, createdAt)
  KEYS[2] the announced-posts ledger's initialised flag (data of a Herald older than site records)
  KEYS[3] active subscribers (sorted set)
  KEYS[4] pending subscribers (sorted set)
  KEYS[5] every edition (sorted set)
  ARGV[1] this site's URL
  ARGV[2] the current data schema version
  ARGV[3] now (ISO 8601)
  Returns: {outcome, recorded url, schema before}; outcome is claimed (empty prefix), adopted (older data without a
  record: schema 1), same (this site's data) or other (another site's data: nothing changed)
]]
local url = redis.call('HGET', KEYS[1], 'url')
if url then
  local schema = redis.call('HGET', KEYS[1], 'schema') or '1'
  if url == ARGV[1] then return {'same', url, schema} end
  return {'other', url, schema}
end
local legacy = redis.call('EXISTS', KEYS[2], KEYS[3], KEYS[4], KEYS[5]) > 0
local schema = ARGV[2]
local outcome = 'claimed'
if legacy then
  schema = '1'
  outcome = 'adopted'
end
redis.call('HSET', KEYS[1], 'url', ARGV[1], 'schema', schema, 'createdAt', ARGV[3])
return {outcome, ARGV[1], schema}
