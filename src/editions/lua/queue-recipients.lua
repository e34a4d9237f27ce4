--[[
  Records recipients of an edition as queued in its send ledger (idempotent) and counts the new ones as expected.
  KEYS[1] edition (hash)
  KEYS[2] the edition's send ledger (hash: subscriber id -> record JSON)
  ARGV[1] now (ISO 8601)
  ARGV[2] the "queued" record JSON
  ARGV[3..] subscriber ids
  Returns: how many of them were not queued before
]]
local added = 0
for index = 3, #ARGV do
  if redis.call('HSETNX', KEYS[2], ARGV[index], ARGV[2]) == 1 then added = added + 1 end
end
if added > 0 then redis.call('HINCRBY', KEYS[1], 'expected', added) end
return added
