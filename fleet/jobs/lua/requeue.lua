-- Puts an item back at the end of the queue as a new entry (its delivery
-- count starts again): a worker that cannot serve the job, or that stops
-- before starting it, hands it to the others at once.
-- KEYS: meta, items, errors
-- ARGV: incarnation, group, stream id, item id, line, input
-- Returns 1 (requeued), 0 (no longer pending) or -1 (the job is gone).
if redis.call('HGET', KEYS[1], 'incarnation') ~= ARGV[1] then return -1 end
if redis.call('XACK', KEYS[2], ARGV[2], ARGV[3]) == 0 then return 0 end
redis.call('XADD', KEYS[2], '*', 'id', ARGV[4], 'line', ARGV[5], 'input', ARGV[6])
redis.call('XDEL', KEYS[2], ARGV[3])
redis.call('HDEL', KEYS[3], ARGV[3])
return 1
