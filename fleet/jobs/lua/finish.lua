-- Ends a job whose every record is written: the streams go at once; the
-- spec, counters and heartbeats stay for the retention, for status.
-- KEYS: spec, meta, items, results, workers, errors, index, lock
-- ARGV: incarnation, now (Unix ms), retention (ms; 0: delete all), name
-- Returns 1, or -1 when the job is gone.
if redis.call('HGET', KEYS[2], 'incarnation') ~= ARGV[1] then return -1 end
redis.call('DEL', KEYS[3], KEYS[4], KEYS[6], KEYS[8])
local ms = tonumber(ARGV[3])
if ms <= 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[5])
  redis.call('SREM', KEYS[7], ARGV[4])
  return 1
end
redis.call('HSET', KEYS[2], 'state', 'finished', 'finished', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ms)
redis.call('PEXPIRE', KEYS[2], ms)
redis.call('PEXPIRE', KEYS[5], ms)
return 1
