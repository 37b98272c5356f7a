-- Removes a worker that stops from a job's consumer group, unless it still
-- holds items (one whose record it could not write): those stay pending,
-- for another worker to claim.
-- KEYS: items, workers
-- ARGV: group, consumer
redis.call('ZREM', KEYS[2], ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local p = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2])
if #p > 0 then return 0 end
redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
return 1
