--[[
  Claims the candidate posts nobody has announced yet as one edition, in one step: the edition id is derived from
  their sorted feed ids, they are marked announced by it, and the edition record is created with their snapshots.
  A concurrent run offering overlapping posts gets only what is left, so no post is ever in two editions.
  KEYS[1] announced posts (hash)
  KEYS[2] edition key prefix ("{p}:edition:"; the edition's keys are this + id, + id .. ":posts")
  KEYS[3] every edition (sorted set by creation time)
  KEYS[4] open editions (sorted set by creation time)
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
for _, id in ipairs(fresh) do
  redis.call('HSET', KEYS[1], id, editionId)
  redis.call('HSET', key .. ':posts', id, snapshots[id])
end
redis.call('HSET', key, 'id', editionId, 'createdAt', ARGV[1], 'postCount', #fresh, 'status', 'open', 'fanout', 'pending',
  'expected', 0, 'sent', 0, 'failed', 0, 'skipped', 0, 'possibleDuplicates', 0, 'retried', 0)
redis.call('ZADD', KEYS[3], ARGV[1], editionId)
redis.call('ZADD', KEYS[4], ARGV[1], editionId)
local result = {editionId}
for _, id in ipairs(fresh) do table.insert(result, id) end
return result
