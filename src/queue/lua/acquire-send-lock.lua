--[[
  Takes the lock of one send when it is free or held by a worker whose heartbeat has expired (that worker is dead).
  Another execution in this same process is a holder like any other: a stalled job picked up again by its own
  worker must not send alongside the first execution.
  KEYS[1] the send lock (string)
  KEYS[2] worker heartbeat key prefix ("{p}:worker:"; a heartbeat key is this + worker id)
  ARGV[1] holder ("<worker id>|<execution>")
  ARGV[2] lock time to live (ms)
  Returns: the previous holder ("" when the lock was free), or false when a live holder has it
]]
local holder = redis.call('GET', KEYS[1])
if holder then
  local worker = string.match(holder, '^(.*)|') or holder
  if redis.call('EXISTS', KEYS[2] .. worker) == 1 then return false end
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return holder or ''
