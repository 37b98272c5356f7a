-- Resets the idle time of the items a worker is running and still owns,
-- so that no other worker claims them while it is alive. XCLAIM with
-- JUSTID leaves the delivery count as it is.
-- KEYS: items
-- ARGV: group, consumer, stream ids...
-- Returns how many it still owns.
local n = 0
for i = 3, #ARGV do
  local p = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if #p > 0 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    n = n + 1
  end
end
return n
