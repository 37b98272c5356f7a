-- Takes or renews the collector's lease on a job (one collector at a time
-- writes a job's output), records how many records the output holds, and
-- pushes back the expiry of the job's keys, so that a job nobody collects
-- any more goes away on its own.
-- KEYS: lock, meta, then the job's other keys
-- ARGV: owner, lease (ms), expiry (ms), records written, now (Unix ms),
-- and a holder known to be dead (its process is gone), or ""
-- Returns 1 (held) or the current owner.
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] and cur ~= ARGV[6] then return cur end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('EXISTS', KEYS[2]) == 1 then
  redis.call('HSET', KEYS[2], 'written', ARGV[4], 'collected', ARGV[5])
end
for i = 2, #KEYS do
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
end
return 1
