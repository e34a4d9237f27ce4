-- Every status change touches the subscriber hash (KEYS[1]) and two status sets (KEYS[2..5]: pending, active,
-- unsubscribed, bounced); doing it in one script keeps an id in exactly one status set. Becoming active starts the
-- subscriber's digests after the posts announced so far (KEYS[6], the announcement sequence): never the archive.
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
  if to == 'active' and from ~= 'active' then redis.call('HSET', KEYS[1], 'seenSeq', redis.call('GET', KEYS[6]) or '0') end
end
