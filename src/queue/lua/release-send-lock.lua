--[[
  Releases a send lock only if this execution holds it.
  KEYS[1] the send lock (string)
  ARGV[1] holder
  Returns: 1 when released, 0 when someone else holds it (or nobody)
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
