/**
 * The subscriber store's Lua scripts. Each status change touches the subscriber hash and two status sets;
 * doing it in one script makes it atomic, so two concurrent requests can never leave an id in two
 * status sets (or none). KEYS are always: 1 = subscriber hash, 2..5 = the pending, active, unsubscribed
 * and bounced sets, all under one hash tag so the scripts also run on Redis Cluster.
 */
const COMMON = `
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
`

/**
 * ARGV: id, email, target (pending|active), tags JSON, now, consent source, consent ip, consent user agent.
 * Returns created | activated | pending | active | resubscribed. An active subscriber is never changed
 * (an unauthenticated form must not be able to alter someone's subscription).
 */
export const SUBSCRIBE = `${COMMON}
local id, email, target, tags, now = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local current = redis.call('HGET', KEYS[1], 'status')
local function consent()
  redis.call('HSET', KEYS[1], 'consentSource', ARGV[6], 'consentAt', now, 'consentIp', ARGV[7], 'consentUserAgent', ARGV[8])
end
local confirmedAt = ''
if target == 'active' then confirmedAt = now end
if not current then
  redis.call('HSET', KEYS[1], 'email', email, 'tags', tags, 'cadence', 'instant', 'createdAt', now, 'confirmedAt', confirmedAt,
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
`

/**
 * ARGV: id, allowed previous statuses (space separated), new status, then field/value pairs to set.
 * Returns {outcome, previous}: outcome is changed | unchanged (already there) | refused | missing.
 */
export const TRANSITION = `${COMMON}
local id, allowed, to = ARGV[1], ARGV[2], ARGV[3]
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return {'missing', ''} end
if current == to then return {'unchanged', current} end
if not string.find(' ' .. allowed .. ' ', ' ' .. current .. ' ', 1, true) then return {'refused', current} end
move(id, current, to)
for index = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[index], ARGV[index + 1]) end
return {'changed', current}
`

/** ARGV: id. Deletes the subscriber and its set memberships; returns 1 when it existed. */
export const REMOVE = `${COMMON}
local existed = redis.call('DEL', KEYS[1])
for _, status in ipairs(STATUSES) do redis.call('ZREM', zkey(status), ARGV[1]) end
return existed
`

/**
 * ARGV: id, tags-given (1|0), then the record as field/value pairs (status among them).
 * New subscriber: stored as given → created. Existing one: tags updated when given and different; status
 * only moved forward (pending→active, →unsubscribed, pending/active→bounced), never back to pending or
 * active, so re-importing an old list cannot re-subscribe someone who left → updated | unchanged | refused.
 */
export const IMPORT = `${COMMON}
local id, tagsGiven = ARGV[1], ARGV[2]
local record = {}
for index = 3, #ARGV, 2 do record[ARGV[index]] = ARGV[index + 1] end
local current = redis.call('HGET', KEYS[1], 'status')
if not current then
  for index = 3, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[index], ARGV[index + 1]) end
  redis.call('ZADD', zkey(record.status), 0, id)
  return 'created'
end
local changed = false
if tagsGiven == '1' and redis.call('HGET', KEYS[1], 'tags') ~= record.tags then
  redis.call('HSET', KEYS[1], 'tags', record.tags)
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
  move(id, current, to)
  if to == 'active' then redis.call('HSET', KEYS[1], 'confirmedAt', record.confirmedAt) end
  if to == 'unsubscribed' then redis.call('HSET', KEYS[1], 'unsubscribedAt', record.unsubscribedAt) end
  if to == 'bounced' then redis.call('HSET', KEYS[1], 'bouncedAt', record.bouncedAt, 'bounceReason', record.bounceReason) end
  changed = true
end
if changed then return 'updated' end
return 'unchanged'
`

export { runScript } from '../infra/scripts.js'
