--[[
  Claims the candidate posts nobody has announced yet as one instant edition, in one step: each gets the next
  announcement sequence number, its snapshot is kept, it is marked announced by the edition (id derived from their
  sorted feed ids), and the edition record is created covering their sequence numbers. A concurrent run offering
  overlapping posts gets only what is left, so no post is ever announced twice.
  KEYS[1] announced posts (hash: feed id -> edition id)
  KEYS[2] edition key prefix ("{p}:edition:"; the edition's keys are this + id ...)
  KEYS[3] every edition (sorted set by creation time)
  KEYS[4] open editions (sorted set by creation time)
  KEYS[5] announcement sequence (string counter)
  KEYS[6] snapshots of announced posts (hash: feed id -> JSON)
  KEYS[7] announced posts by sequence number (sorted set)
  ARGV[1] now (ms since the epoch)
  ARGV[2..] pairs of feed id and snapshot JSON
  Returns: false when every candidate was announced already, else {edition id, feed id, ...} (feed ids sorted)
]]
local fresh, snapshots = {}, {}
for index = 2, #ARGV, 2 do
  local id = ARGV[index]
  if redis.call('HEXISTS', KEYS[1], id) == 0 and not snapshots[id] then
    table.insert(fresh, id)
    snapshots[id] = ARGV[index + 1]
  end
end
if #fresh == 0 then return false end
table.sort(fresh)
local editionId = string.sub(redis.sha1hex(table.concat(fresh, '\n')), 1, 20)
local key = KEYS[2] .. editionId
local fromSeq = tonumber(redis.call('GET', KEYS[5]) or '0')
for _, id in ipairs(fresh) do
  local seq = redis.call('INCR', KEYS[5])
  redis.call('HSET', KEYS[1], id, editionId)
  redis.call('HSET', KEYS[6], id, snapshots[id])
  redis.call('ZADD', KEYS[7], seq, id)
end
redis.call('HSET', key, 'id', editionId, 'createdAt', ARGV[1], 'postCount', #fresh, 'status', 'open', 'fanout', 'pending',
  'expected', 0, 'sent', 0, 'failed', 0, 'skipped', 0, 'possibleDuplicates', 0, 'retried', 0,
  'cadence', 'instant', 'fromSeq', fromSeq, 'toSeq', fromSeq + #fresh)
redis.call('ZADD', KEYS[3], ARGV[1], editionId)
redis.call('ZADD', KEYS[4], ARGV[1], editionId)
local result = {editionId}
for _, id in ipairs(fresh) do table.insert(result, id) end
return result
