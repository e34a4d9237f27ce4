-- Marks the edition (KEYS[1]) done and takes it out of the open set (KEYS[2]) once the fan-out has finished and
-- every queued recipient has a final outcome. Returns 1 when this call completed it.
local function maybeComplete(editionId, now)
  local v = redis.call('HMGET', KEYS[1], 'fanout', 'expected', 'sent', 'failed', 'skipped', 'status')
  if v[6] ~= 'done' and v[1] == 'done' and tonumber(v[3]) + tonumber(v[4]) + tonumber(v[5]) >= tonumber(v[2]) then
    redis.call('HSET', KEYS[1], 'status', 'done', 'completedAt', now)
    redis.call('ZREM', KEYS[2], editionId)
    return 1
  end
  return 0
end
