--[[
  Marks an edition's fan-out complete; the edition is done at once when nobody matched or all were handled.
  KEYS[1] edition (hash)
  KEYS[2] open editions (sorted set)
  ARGV[1] edition id
  ARGV[2] now (ISO 8601)
  Returns: 1 when the edition is now done, else 0
]]
-- @include "includes/maybe-complete.lua"
redis.call('HSET', KEYS[1], 'fanout', 'done')
return maybeComplete(ARGV[1], ARGV[2])
