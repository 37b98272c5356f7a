-- The heartbeat registry: KEYS[1] is a sorted set of process ids scored by
-- when their heartbeat expires (µs). ARGV: [1] now (µs), [2] the expiry of
-- this beat (µs), [3] the process id ("" to count only), [4] the key's TTL
-- (ms). Returns the processes alive.
local K = KEYS[1]
redis.call('ZREMRANGEBYSCORE', K, '-inf', '(' .. ARGV[1])
if ARGV[3] ~= '' then
  redis.call('ZADD', K, ARGV[2], ARGV[3])
  redis.call('PEXPIRE', K, ARGV[4])
end
return redis.call('ZCARD', K)
