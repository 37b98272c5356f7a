-- Reserve: ARGV[12] the request's estimated tokens, [13] the most probes
-- out at once during slow start (0: no slow start), [14] how long a probe
-- holds its place (µs). Returns the delay (µs), the epoch, the claims on
-- the request and token buckets (taken, blind, ahead, mark), 1 if the
-- request is a probe, and the rates (per second) the buckets are paced to;
-- or, refused by slow start, only the time to ask
-- again (µs), the epoch and "probing": nothing is taken.
start(rb)
start(tb)
local n = math.max(tonumber(ARGV[12]), 0)

-- Slow start: while neither bucket has a rate and no answer has come back
-- (since the hash was made), the fleet knows nothing of the provider's
-- limits, and sends at most PROBES requests, whose answers teach them.
-- A probe that does not come back within the lease (its process died)
-- no longer holds its place.
local probe = 0
local probes, lease = tonumber(ARGV[13]), tonumber(ARGV[14])
if probes > 0 and rb.rate <= 0 and tb.rate <= 0 and not redis.call('HGET', K, 'seen') then
  local out = num(redis.call('HGET', K, 'pout'), 0)
  local pend = num(redis.call('HGET', K, 'pend'), 0)
  if NOW >= pend then
    out = 0
  end
  if out >= probes then
    finish(rb, tb)
    return {str(pend - NOW), EP, 'probing'}
  end
  redis.call('HSET', K, 'pout', out + 1, 'pend', str(NOW + lease))
  probe = 1
end

local function wait(b, want)
  if b.rate <= 0 or want <= 0 then return 0 end
  local need = math.min(want, b.cap) - b.lvl
  if need <= 0 then return 0 end
  return need / b.rate * 1e6
end

-- take debits want: in full up to most, leaving the bucket in debt that
-- later requests wait for; a larger request (which the provider refuses)
-- for what the bucket holds, never more and never into debt.
local function take(b, want)
  if b.rate <= 0 then
    b.bin = b.bin + want
    return {want, 1, 0, 0}
  end
  if want > b.most then
    want = math.max(0, math.min(b.lvl, b.most))
  end
  local ahead = b.inf
  b.lvl = b.lvl - want
  b.inf = b.inf + want
  b.spent = b.spent + want
  return {want, 0, ahead, b.spent}
end

local d = math.max(wait(rb, 1), wait(tb, n))
local hold = num(redis.call('HGET', K, 'hold'), 0)
if hold > NOW then
  d = math.max(d, hold - NOW)
end
local rc, tc = take(rb, 1), take(tb, n)
finish(rb, tb)
return {str(d), EP, str(rc[1]), rc[2], str(rc[3]), str(rc[4]), str(tc[1]), tc[2], str(tc[3]), str(tc[4]), probe, str(rb.rate), str(tb.rate)}
