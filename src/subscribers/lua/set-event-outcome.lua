--[[
  Changes the outcome of one event in a subscriber's history (a held bounce applied or discarded, an applied one held).
  KEYS[1] the subscriber's events (list of JSON, newest first)
  ARGV[1] event id
  ARGV[2] new outcome
  Returns: 1 when the event was found and changed, else 0
]]
local events = redis.call('LRANGE', KEYS[1], 0, -1)
for index, value in ipairs(events) do
  local ok, event = pcall(cjson.decode, value)
  if ok and type(event) == 'table' and event.id == ARGV[1] then
    event.outcome = ARGV[2]
    redis.call('LSET', KEYS[1], index - 1, cjson.encode(event))
    return 1
  end
end
return 0
