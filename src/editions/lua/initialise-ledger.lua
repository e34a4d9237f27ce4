--[[
  First activation: records the live archive as already known, without announcing it, so switching Herald on does
  not mail the whole archive. Does nothing when the ledger is initialised already.
  KEYS[1] announced posts (hash: feed id -> edition id or "=baseline")
  KEYS[2] initialised flag (string)
  ARGV[1] now (ISO 8601)
  ARGV[2..] feed ids to record as baseline
  Returns: 1 when this call initialised the ledger, 0 when another run had done it
]]
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
for index = 2, #ARGV do redis.call('HSETNX', KEYS[1], ARGV[index], '=baseline') end
redis.call('SET', KEYS[2], ARGV[1])
return 1
