--[[
  Imports one subscriber. A new one is stored as given. An existing one gets new tags when given and different,
  and its status only moves forward (pending -> active, -> unsubscribed, pending/active -> bounced), never back
  to pending or active, so re-importing an old list cannot re-subscribe someone who left.
  KEYS[1] the subscriber (hash)
  KEYS[2] pending subscribers (sorted set)
  KEYS[3] active subscribers (sorted set)
  KEYS[4] unsubscribed subscribers (sorted set)
  KEYS[5] bounced subscribers (sorted set)
  KEYS[6] announcement sequence (string counter; becoming active starts after it)
  ARGV[1] subscriber id
  ARGV[2] "1" when the record gives tags, else "0"
  ARGV[3] "1" for a dry run: decide the outcome, change nothing
  ARGV[4..] the record as field/value pairs (status among them)
  Returns: created | updated | unchanged | refused
]]
-- @include "includes/status-sets.lua"
local id, tagsGiven, dry = ARGV[1], ARGV[2], ARGV[3] == '1'
local record = {}
for index = 4, #ARGV, 2 do record[ARGV[index]] = ARGV[index + 1] end
local current = redis.call('HGET', KEYS[1], 'status')
if not current then
  if dry then return 'created' end
  for index = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[index], ARGV[index + 1]) end
  redis.call('ZADD', zkey(record.status), 0, id)
  if record.status == 'active' then redis.call('HSET', KEYS[1], 'seenSeq', redis.call('GET', KEYS[6]) or '0') end
  return 'created'
end
local changed = false
if tagsGiven == '1' and redis.call('HGET', KEYS[1], 'tags') ~= record.tags then
  if not dry then redis.call('HSET', KEYS[1], 'tags', record.tags) end
  changed = true
end
local to = record.status
if to ~= current then
  local forward = (current == 'pending' and to == 'active')
    or (to == 'unsubscribed')
    or ((current == 'pending' or current == 'active') and to == 'bounced')
  if not forward then
    if changed then return 'updated' end
    return 'refused'
  end
  if dry then return 'updated' end
  move(id, current, to)
  if to == 'active' then redis.call('HSET', KEYS[1], 'confirmedAt', record.confirmedAt) end
  if to == 'unsubscribed' then
    redis.call('HSET', KEYS[1], 'unsubscribedAt', record.unsubscribedAt, 'unsubscribeReason', record.unsubscribeReason)
  end
  if to == 'bounced' then redis.call('HSET', KEYS[1], 'bouncedAt', record.bouncedAt, 'bounceReason', record.bounceReason) end
  changed = true
end
if changed then return 'updated' end
return 'unchanged'
