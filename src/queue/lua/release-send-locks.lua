--[[
  Releases the send locks of several subscribers, each only if this execution holds it.
  KEYS[1] send lock key prefix ("{p}:lock:send:")
  ARGV[1] holder
  ARGV[2..] subscriber ids
  Returns: how many were released
]]
local released = 0
for index = 2, #ARGV do
  local key = KEYS[1] .. ARGV[index]
  if redis.call('GET', key) == ARGV[1] then
    redis.call('DEL', key)
    released = released + 1
  end
end
return released
