--[[
  Undoes a bounce that one event caused (its bounces turned out to be a receiving domain's outage): bounced -> active,
  only when the subscriber is still bounced by that very event.
  KEYS[1] the subscriber (hash)
  KEYS[2] pending subscribers (sorted set)
  KEYS[3] active subscribers (sorted set)
  KEYS[4] unsubscribed subscribers (sorted set)
  KEYS[5] bounced subscribers (sorted set)
  KEYS[6] announcement sequence (unused here: an undone bounce keeps the subscriber's place, see below)
  ARGV[1] subscriber id
  ARGV[2] the event id that bounced them
  Returns: 1 when undone, else 0
]]
-- @include "includes/status-sets.lua"
if redis.call('HGET', KEYS[1], 'status') ~= 'bounced' then return 0 end
if redis.call('HGET', KEYS[1], 'bounceEvent') ~= ARGV[2] then return 0 end
-- The bounce never happened: the subscriber keeps their place in the announcement sequence and gets what they missed.
local seen = redis.call('HGET', KEYS[1], 'seenSeq')
move(ARGV[1], 'bounced', 'active')
if seen then redis.call('HSET', KEYS[1], 'seenSeq', seen) else redis.call('HDEL', KEYS[1], 'seenSeq') end
redis.call('HSET', KEYS[1], 'bouncedAt', '', 'bounceReason', '', 'bounceEvent', '')
return 1
