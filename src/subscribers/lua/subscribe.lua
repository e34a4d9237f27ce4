--[[
  Adds a subscriber as pending or active. An existing pending subscriber gets the new tags and consent; an
  unsubscribed or bounced one starts over with new consent; an active one is never changed (an unauthenticated
  form must not be able to alter someone's subscription).
  KEYS[1] the subscriber (hash)
  KEYS[2] pending subscribers (sorted set)
  KEYS[3] active subscribers (sorted set)
  KEYS[4] unsubscribed subscribers (sorted set)
  KEYS[5] bounced subscribers (sorted set)
  KEYS[6] announcement sequence (string counter; becoming active starts after it)
  ARGV[1] subscriber id
  ARGV[2] email
  ARGV[3] target status: pending or active
  ARGV[4] tags JSON
  ARGV[5] now (ISO 8601)
  ARGV[6] consent source
  ARGV[7] consent IP
  ARGV[8] consent user agent
  ARGV[9] cadence of a new subscriber
  Returns: created | activated | pending | active | resubscribed
]]
-- @include "includes/status-sets.lua"
local id, email, target, tags, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local current = redis.call('HGET', KEYS[1], 'status')
local function consent()
  redis.call('HSET', KEYS[1], 'consentSource', ARGV[6], 'consentAt', now, 'consentIp', ARGV[7], 'consentUserAgent', ARGV[8])
end
local confirmedAt = ''
if target == 'active' then confirmedAt = now end
if not current then
  redis.call('HSET', KEYS[1], 'email', email, 'tags', tags, 'cadence', ARGV[9], 'createdAt', now, 'confirmedAt', confirmedAt,
    'unsubscribedAt', '', 'bouncedAt', '', 'bounceReason', '')
  consent()
  move(id, nil, target)
  return 'created'
end
if current == 'active' then return 'active' end
if current == 'pending' then
  redis.call('HSET', KEYS[1], 'tags', tags)
  consent()
  if target == 'active' then
    move(id, 'pending', 'active')
    redis.call('HSET', KEYS[1], 'confirmedAt', now)
    return 'activated'
  end
  return 'pending'
end
redis.call('HSET', KEYS[1], 'tags', tags, 'confirmedAt', confirmedAt)
consent()
move(id, current, target)
return 'resubscribed'
