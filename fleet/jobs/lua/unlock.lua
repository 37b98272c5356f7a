-- Gives up the collector's lease on a job, if this collector holds it.
-- KEYS: lock
-- ARGV: owner
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
