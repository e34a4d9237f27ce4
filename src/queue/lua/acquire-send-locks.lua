--[[
  Takes the send locks of several subscribers at once, whatever the edition: each lock is taken when it is free or
  held by a worker whose heartbeat has expired.
  KEYS[1] send lock key prefix ("{p}:lock:send:"; a lock key is this + subscriber id)
  KEYS[2] worker heartbeat key prefix ("{p}:worker:")
  ARGV[1] holder ("<worker id>|<execution>")
  ARGV[2] lock time to live (ms)
  ARGV[3..] subscriber ids
  Returns: one entry per subscriber id, in order: the previous holder ("" when the lock was free), or false when a
  live holder has it
]]
local result = {}
for index = 3, #ARGV do
  local key = KEYS[1] .. ARGV[index]
  local holder = redis.call('GET', key)
  local live = false
  if holder then
    local worker = string.match(holder, '^(.*)|') or holder
    live = redis.call('EXISTS', KEYS[2] .. worker) == 1
  end
  if live then
    result[#result + 1] = false
  else
    redis.call('SET', key, ARGV[1], 'PX', ARGV[2])
    result[#result + 1] = holder or ''
  end
end
return result
