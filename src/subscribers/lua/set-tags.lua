--[[
  Replaces an existing subscriber's tag filter (HSET on a missing hash would create half a subscriber).
  KEYS[1] the subscriber (hash)
  ARGV[1] tags JSON
  Returns: 1 when set, 0 when there is no such subscriber
]]
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HSET', KEYS[1], 'tags', ARGV[1])
  return 1
end
return 0
