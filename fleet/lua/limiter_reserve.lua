-- Reserve: ARGV[12] the request's estimated tokens. Returns the delay (µs),
-- the epoch, and the claims on the request and token buckets (taken,
-- blind, ahead, mark).
start(rb)
start(tb)
local n = math.max(tonumber(ARGV[12]), 0)

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
return {str(d), EP, str(rc[1]), rc[2], str(rc[3]), str(rc[4]), str(tc[1]), tc[2], str(tc[3]), str(tc[4])}
