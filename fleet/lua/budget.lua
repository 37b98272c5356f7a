-- The shared retry budget (gRFC A6): KEYS[1] holds the thousandths of a
-- token spent; absent is a full bucket. ARGV: [1] the change, [2] the
-- bucket's size in thousandths, [3] the TTL (ms). Returns the new spent,
-- clamped to [0, size].
local K = KEYS[1]
local v = tonumber(redis.call('GET', K) or '0')
local n = math.min(math.max(v + tonumber(ARGV[1]), 0), tonumber(ARGV[2]))
if n == 0 then
  redis.call('DEL', K)
else
  redis.call('SET', K, string.format('%d', n), 'PX', ARGV[3])
end
return n
