--[[
  Records a recipient's final outcome once, counts it, and completes the edition when it was the last one.
  KEYS[1] edition (hash)
  KEYS[2] open editions (sorted set)
  KEYS[3] the edition's send ledger (hash)
  KEYS[4] site-wide send counters (hash)
  KEYS[5] the site's circuit breaker (a message sent resets it)
  KEYS[6] the subscriber (hash)
  ARGV[1] edition id
  ARGV[2] now (ISO 8601)
  ARGV[3] subscriber id
  ARGV[4] record JSON
  ARGV[5] outcome: sent, failed or skipped (also the counter's name)
  ARGV[6] "1" when the send may have been a duplicate, else "0"
  ARGV[7] announcement sequence number the subscriber has now had every post up to, or "" (nothing covered)
  Returns: 1 when recorded, 0 when the recipient already had a final outcome
]]
-- @include "includes/final-states.lua"
-- @include "includes/maybe-complete.lua"
local previous = redis.call('HGET', KEYS[3], ARGV[3])
if previous and FINAL[cjson.decode(previous).state] then return 0 end
if not previous then redis.call('HINCRBY', KEYS[1], 'expected', 1) end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
redis.call('HINCRBY', KEYS[1], ARGV[5], 1)
redis.call('HINCRBY', KEYS[4], ARGV[5], 1)
if ARGV[6] == '1' then
  redis.call('HINCRBY', KEYS[1], 'possibleDuplicates', 1)
  redis.call('HINCRBY', KEYS[4], 'possible_duplicate', 1)
end
if ARGV[5] == 'sent' then redis.call('DEL', KEYS[5]) end
if redis.call('EXISTS', KEYS[6]) == 1 then
  -- The post x subscriber promise: recorded with the outcome, so no later edition can mail these posts again.
  if ARGV[7] ~= '' and tonumber(ARGV[7]) > tonumber(redis.call('HGET', KEYS[6], 'seenSeq') or '0') then
    redis.call('HSET', KEYS[6], 'seenSeq', ARGV[7])
  end
  if redis.call('HGET', KEYS[6], 'sendingIn') == ARGV[1] then redis.call('HDEL', KEYS[6], 'sendingIn') end
end
maybeComplete(ARGV[1], ARGV[2])
return 1
