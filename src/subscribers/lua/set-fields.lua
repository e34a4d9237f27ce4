--[[
  Sets fields of an existing subscriber (HSET on a missing hash would create half a subscriber).
  KEYS[1] the subscriber (hash)
  ARGV[1..] field/value pairs
  Returns: 1 when set, 0 when there is no such subscriber
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
