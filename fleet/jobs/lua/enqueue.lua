-- Adds one chunk of input to a job, atomically with the enqueue progress.
-- KEYS: meta, items, results
-- ARGV: incarnation, prev line, line, n items, n failed, done ("1"),
-- total, then n × (id, line, input) for the items stream, then
-- n failed × (id, record, input) for the results stream.
-- Returns 1 (added), 0 (added before: a retry whose first reply was lost),
-- -1 (the job is gone) or -2 (Redis lost chunks before this one).
if redis.call('HGET', KEYS[1], 'incarnation') ~= ARGV[1] then return -1 end
local cur = tonumber(redis.call('HGET', KEYS[1], 'line') or '0')
local prev, line = tonumber(ARGV[2]), tonumber(ARGV[3])
if cur ~= prev then
  if cur >= line then return 0 end
  return -2
end
local n, f = tonumber(ARGV[4]), tonumber(ARGV[5])
local a = 8
for _ = 1, n do
  redis.call('XADD', KEYS[2], '*', 'id', ARGV[a], 'line', ARGV[a + 1], 'input', ARGV[a + 2])
  a = a + 3
end
for _ = 1, f do
  redis.call('XADD', KEYS[3], '*', 'id', ARGV[a], 'rec', ARGV[a + 1], 'input', ARGV[a + 2])
  a = a + 3
end
redis.call('HSET', KEYS[1], 'line', ARGV[3])
redis.call('HINCRBY', KEYS[1], 'enqueued', n)
redis.call('HINCRBY', KEYS[1], 'failed', f)
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[1], 'complete', '1', 'total', ARGV[7])
end
return 1
