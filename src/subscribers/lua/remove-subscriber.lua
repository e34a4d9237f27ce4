--[[
  Deletes a subscriber, their status set memberships and their history.
  KEYS[1] the subscriber (hash)
  KEYS[2] pending subscribers (sorted set)
  KEYS[3] active subscribers (sorted set)
  KEYS[4] unsubscribed subscribers (sorted set)
  KEYS[5] bounced subscribers (sorted set)
  KEYS[6] announcement sequence (string counter; becoming active starts after it)
  KEYS[7] the subscriber's events (list)
  ARGV[1] subscriber id
  Returns: 1 when the subscriber existed, else 0
]]
-- @include "includes/status-sets.lua"
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[7])
for _, status in ipairs(STATUSES) do redis.call('ZREM', zkey(status), ARGV[1]) end
return existed
