-- Creates a job, or attaches to it (resume).
-- KEYS: spec, meta, items, results, workers, errors, index
-- ARGV: spec JSON, incarnation, now (Unix ms), name, resume ("1"), group
-- Returns {outcome, incarnation}: "created", "attached", "exists" (a
-- running job and no resume) or "differs" (resume, another spec).
-- A finished job, or the remains of one that lost its meta, is replaced:
-- nothing of it is in flight.
local spec = redis.call('GET', KEYS[1])
local meta = redis.call('HMGET', KEYS[2], 'incarnation', 'state')
if spec and meta[1] and meta[2] ~= 'finished' then
  if ARGV[5] ~= '1' then return {'exists', meta[1]} end
  if spec ~= ARGV[1] then return {'differs', meta[1]} end
  return {'attached', meta[1]}
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[2], 'incarnation', ARGV[2], 'created', ARGV[3], 'state', 'running', 'line', '0')
redis.call('XGROUP', 'CREATE', KEYS[3], ARGV[6], '0', 'MKSTREAM')
redis.call('SADD', KEYS[7], ARGV[4])
return {'created', ARGV[2]}
