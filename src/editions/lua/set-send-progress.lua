--[[
  Sets a recipient's non-final state (sending, retrying) unless they already have a final one.
  KEYS[1] edition (hash)
  KEYS[2] open editions (sorted set)
  KEYS[3] the edition's send ledger (hash)
  KEYS[4] site-wide send counters (hash)
  KEYS[5] the subscriber (hash)
  ARGV[1] edition id
  ARGV[2] now (ISO 8601)
  ARGV[3] subscriber id
  ARGV[4] record JSON
  ARGV[5] state of the record
  Returns: {"final", final record JSON} when nothing changed, else {"set", previous record JSON or ""}
]]
-- @include "includes/final-states.lua"
local previous = redis.call('HGET', KEYS[3], ARGV[3])
if previous and FINAL[cjson.decode(previous).state] then return {'final', previous} end
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
-- Until this send is final, other editions leave the subscriber alone: the message may be out, and their posts
-- could overlap with it (send-job.ts waits for it).
if ARGV[5] == 'sending' and redis.call('EXISTS', KEYS[5]) == 1 then redis.call('HSET', KEYS[5], 'sendingIn', ARGV[1]) end
if ARGV[5] == 'retrying' then
  redis.call('HINCRBY', KEYS[1], 'retried', 1)
  redis.call('HINCRBY', KEYS[4], 'retried', 1)
end
return {'set', previous or ''}
