-- Writes an item's record to the results stream and acknowledges the
-- item, in one step: a record is written once, by the first worker that
-- completes the item, and an item is acknowledged only with its record.
-- KEYS: meta, items, results, errors
-- ARGV: incarnation, group, stream id, item id, record, input ("" for
-- none), counter ("ok", "failed" or "dead")
-- Returns 1 (written), 0 (completed before, by another worker) or -1 (the
-- job is gone).
if redis.call('HGET', KEYS[1], 'incarnation') ~= ARGV[1] then return -1 end
if redis.call('XACK', KEYS[2], ARGV[2], ARGV[3]) == 0 then return 0 end
if ARGV[6] ~= '' then
  redis.call('XADD', KEYS[3], '*', 'id', ARGV[4], 'rec', ARGV[5], 'input', ARGV[6])
else
  redis.call('XADD', KEYS[3], '*', 'id', ARGV[4], 'rec', ARGV[5])
end
redis.call('XDEL', KEYS[2], ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[7], 1)
redis.call('HDEL', KEYS[4], ARGV[3])
return 1
