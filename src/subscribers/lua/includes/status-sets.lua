-- Every status change touches the subscriber hash (KEYS[1]) and two status sets (KEYS[2..5]: pending, active,
-- unsubscribed, bounced); doing it in one script keeps an id in exactly one status set.
local STATUSES = {'pending', 'active', 'unsubscribed', 'bounced'}
local function zkey(status)
  for index, name in ipairs(STATUSES) do
    if name == status then return KEYS[index + 1] end
  end
  return redis.error_reply('unknown status ' .. tostring(status))
end
local function move(id, from, to)
  if from then redis.call('ZREM', zkey(from), id) end
  redis.call('ZADD', zkey(to), 0, id)
  redis.call('HSET', KEYS[1], 'status', to)
end
