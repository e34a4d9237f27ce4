--[[
  Undoes a bounce that one event caused (its bounces turned out to be a receiving domain's outage): bounced -> active,
  only when the subscriber is still bounced by that very event.
  KEYS[1] the subscriber (hash)
  KEYS[2] pending subscribers (sorted set)
  KEYS[3] active subscribers (sorted set)
  KEYS[4] unsubscribed subscribers (sorted set)
  KEYS[5] bounced subscribers (sorted set)
  ARGV[1] subscriber id
  ARGV[2] the event id that bounced them
  Returns: 1 when undone, else 0
]]
-- @include "includes/status-sets.lua"
if redis.call('HGET', KEYS[1], 'status') ~= 'bounced' then return 0 end
if redis.call('HGET', KEYS[1], 'bounceEvent') ~= ARGV[2] then return 0 end
move(ARGV[1], 'bounced', 'active')
redis.call('HSET', KEYS[1], 'bouncedAt', '', 'bounceReason', '', 'bounceEvent', '')
return 1
