--[[
  Makes the daily or weekly edition of one slot, once: it covers every post announced since the previous edition of
  that cadence (sequence numbers fromSeq+1 .. toSeq). The first time, "since" means since the run that makes it
  started (what earlier runs announced went out under the cadences of that time); a slot with no new post makes none.
  KEYS[1] the cadence's state (hash: slot, toSeq)
  KEYS[2] announcement sequence (string counter)
  KEYS[3] announced posts by sequence number (sorted set)
  KEYS[4] edition key prefix ("{p}:edition:")
  KEYS[5] every edition (sorted set by creation time)
  KEYS[6] open editions (sorted set by creation time)
  KEYS[7] editions made per periodic cadence (hash)
  ARGV[1] cadence (daily or weekly)
  ARGV[2] slot (local date it fell due)
  ARGV[3] now (ms since the epoch)
  ARGV[4] edition id for this cadence and slot
  ARGV[5] the announcement sequence number when this run started (where a first edition starts)
  ARGV[6] "1" to record the slot as handled without an edition (nobody has this cadence), else "0"
  Returns: {"done"} (this slot was handled) | {"empty"} (no new post) | {"created", id, post count}
]]
local toSeq = tonumber(redis.call('GET', KEYS[2]) or '0')
local state = redis.call('HMGET', KEYS[1], 'slot', 'toSeq')
if state[1] == ARGV[2] then return {'done'} end
local fromSeq = tonumber(state[2] or ARGV[5])
redis.call('HSET', KEYS[1], 'slot', ARGV[2], 'toSeq', toSeq)
if toSeq <= fromSeq or ARGV[6] == '1' then return {'empty'} end
local key = KEYS[4] .. ARGV[4]
if redis.call('EXISTS', key) == 1 then return {'done'} end
local count = redis.call('ZCOUNT', KEYS[3], '(' .. fromSeq, toSeq)
redis.call('HSET', key, 'id', ARGV[4], 'createdAt', ARGV[3], 'postCount', count, 'status', 'open', 'fanout', 'pending',
  'expected', 0, 'sent', 0, 'failed', 0, 'skipped', 0, 'possibleDuplicates', 0, 'retried', 0,
  'cadence', ARGV[1], 'slot', ARGV[2], 'fromSeq', fromSeq, 'toSeq', toSeq)
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[4])
redis.call('ZADD', KEYS[6], ARGV[3], ARGV[4])
redis.call('HINCRBY', KEYS[7], ARGV[1], 1)
return {'created', ARGV[4], tostring(count)}
