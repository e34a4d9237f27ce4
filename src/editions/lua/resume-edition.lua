--[[
  Resumes a paused edition (its unfinished recipients are queued again by the fan-out's repair).
  KEYS[1] edition (hash)
  ARGV[1] now (ISO 8601)
  Returns: 1 when this call resumed it, 0 when it was not paused
]]
if redis.call('HGET', KEYS[1], 'status') ~= 'paused' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'open', 'resumedAt', ARGV[1])
redis.call('HDEL', KEYS[1], 'pausedReason', 'pausedConfig')
return 1
