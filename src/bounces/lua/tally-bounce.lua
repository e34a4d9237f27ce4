--[[
  Counts one subscriber's bounce of an edition towards its receiving domain's tally and decides what happens to it:
  applied, or held for review because that domain's share of bounces passed the threshold (the receiver's outage, not
  dead addresses). The bounce that passes the threshold marks the domain flooded; the ones applied before it are
  listed in KEYS[4], so the caller can take them back.
  KEYS[1] the edition's bounce tally (hash: domain -> subscribers counted)
  KEYS[2] subscribers of the edition already counted (set)
  KEYS[3] the edition's flooded domains (set)
  KEYS[4] bounces of the edition from this domain that were applied (list of JSON)
  ARGV[1] subscriber id
  ARGV[2] receiving domain
  ARGV[3] recipients the edition was sent to at that domain
  ARGV[4] threshold share (0 < share <= 1)
  ARGV[5] fewest bounces that can make a flood
  ARGV[6] the bounce as JSON (kept in KEYS[4] when applied)
  Returns: apply | hold (the domain was already flooded) | flood (this bounce passed the threshold)
]]
local domain = ARGV[2]
local added = redis.call('SADD', KEYS[2], ARGV[1])
local count = tonumber(redis.call('HGET', KEYS[1], domain) or '0')
if added == 1 then count = redis.call('HINCRBY', KEYS[1], domain, 1) end
if redis.call('SISMEMBER', KEYS[3], domain) == 1 then return 'hold' end
if count >= tonumber(ARGV[5]) and count >= tonumber(ARGV[4]) * tonumber(ARGV[3]) then
  redis.call('SADD', KEYS[3], domain)
  return 'flood'
end
redis.call('RPUSH', KEYS[4], ARGV[6])
return 'apply'
