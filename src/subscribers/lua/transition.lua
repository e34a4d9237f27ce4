--[[
  Moves a subscriber to another status when their current one allows it, and sets the given fields.
  KEYS[1] the subscriber (hash)
  KEYS[2] pending subscribers (sorted set)
  KEYS[3] active subscribers (sorted set)
  KEYS[4] unsubscribed subscribers (sorted set)
  KEYS[5] bounced subscribers (sorted set)
  KEYS[6] announcement sequence (string counter; becoming active starts after it)
  ARGV[1] subscriber id
  ARGV[2] allowed previous statuses, space separated
  ARGV[3] new status
  ARGV[4..] field/value pairs to set
  Returns: {outcome, previous status or ""}; outcome is changed | unchanged (already there) | refused | missing
]]
-- @include "includes/status-sets.lua"
local id, allowed, to = ARGV[1], ARGV[2], ARGV[3]
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {'missing', ''} end
if current == to then return {'unchanged', current} end
if not string.find(' ' .. allowed .. ' ', ' ' .. current .. ' ', 1, true) then return {'refused', current} end
move(id, current, to)
for index = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[index], ARGV[index + 1]) end
return {'changed', current}
