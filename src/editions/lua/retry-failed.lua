--[[
  Gives the recipients whose send failed another chance: their records go back to queued (the reply is kept), the
  failed count goes down, and a finished edition is open again. Recipients already sent or skipped are never touched.
  KEYS[1] edition (hash)
  KEYS[2] open editions (sorted set)
  KEYS[3] the edition's send ledger (hash)
  ARGV[1] edition id
  ARGV[2] now (ISO 8601)
  ARGV[3] now (ms, the open set's score)
  Returns: how many recipients were queued again
]]
local count = 0
local cursor = '0'
repeat
  local page = redis.call('HSCAN', KEYS[3], cursor, 'COUNT', 500)
  cursor = page[1]
  local entries = page[2]
  for index = 1, #entries, 2 do
    local record = cjson.decode(entries[index + 1])
    if record.state == 'failed' then
      local queued = {state = 'queued', at = ARGV[2], reply = record.reply, retriedFailure = true}
      redis.call('HSET', KEYS[3], entries[index], cjson.encode(queued))
      count = count + 1
    end
  end
until cursor == '0'
if count > 0 then
  redis.call('HINCRBY', KEYS[1], 'failed', -count)
  local status = redis.call('HGET', KEYS[1], 'status')
  if status == 'done' then
    redis.call('HSET', KEYS[1], 'status', 'open')
    redis.call('HDEL', KEYS[1], 'completedAt')
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
  end
end
return count
