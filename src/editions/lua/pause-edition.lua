--[[
  Pauses an edition that is still sending: no further sends until it is resumed.
  KEYS[1] edition (hash)
  ARGV[1] why (the server's reply and what to check)
  ARGV[2] now (ISO 8601)
  ARGV[3] fingerprint of the mail configuration when it paused (a run with another one resumes it)
  Returns: 1 when this call paused it, 0 when it was paused already, -1 when it is done (or unknown)
]]
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'paused' then return 0 end
if status ~= 'open' then return -1 end
redis.call('HSET', KEYS[1], 'status', 'paused', 'pausedReason', ARGV[1], 'pausedAt', ARGV[2], 'pausedConfig', ARGV[3])
return 1
