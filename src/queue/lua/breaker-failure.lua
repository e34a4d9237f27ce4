--[[
  The site's circuit breaker: counts sends that failed in a row with the same reply, each for another recipient than
  the one before. A success in between starts the count again (set-send-final.lua deletes the key).
  KEYS[1] the breaker (hash: reply, subscriber, count)
  ARGV[1] the failure's reply
  ARGV[2] subscriber id
  ARGV[3] how long the count may last without a new failure (ms)
  Returns: the count after this failure
]]
local reply = redis.call('HGET', KEYS[1], 'reply')
local count = 1
if reply == ARGV[1] then
  count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
  if redis.call('HGET', KEYS[1], 'subscriber') ~= ARGV[2] then count = count + 1 end
end
redis.call('HSET', KEYS[1], 'reply', ARGV[1], 'subscriber', ARGV[2], 'count', count)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return count
