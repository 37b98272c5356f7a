-- The shared rate limiter's state, one hash per account (KEYS[1]), and the
-- helpers of every limiter script. Each script is this file followed by
-- one operation.
--
-- A dimension p ("r" for requests, "t" for tokens) is a token bucket:
--   prate, pcap, pmost  its refill rate (per second), size, and the most one
--                       request is counted for; published by every call
--   plvl, pat           its level at time pat (µs); absent: not counting
--   pinf, pspent        what counted claims hold in flight, and the running
--                       total of every counted claim (for raise)
--   pbin                what claims taken while it had no rate hold in
--                       flight ("blind": unknown to the level)
-- and the hash holds
--   ep                  the epoch: random, set when the hash is created;
--                       claims of another epoch (before a restart or an
--                       expiry) are stale, and their corrections ignored
--   hold                no request before this time (µs): Retry-After
--   seen                set by the first answer: slow start is over
--   pout, pend          slow start's probes out, and when their places
--                       lapse (µs)
--
-- ARGV: [1] now (µs) [2] the least TTL (ms), [3..6] requests: rate, size,
-- most, initial level; [7..10] tokens: the same; [11] a random epoch for a
-- new hash; [12..] the operation's.
local K = KEYS[1]
local NOW = tonumber(ARGV[1])
local TTL = tonumber(ARGV[2])

local function num(v, d)
  if v then return tonumber(v) end
  return d
end

-- str formats a number for Redis and Go without losing digits.
local function str(x)
  return string.format('%.17g', x)
end

local EP = redis.call('HGET', K, 'ep')
if not EP then
  EP = ARGV[11]
  redis.call('HSET', K, 'ep', EP)
end

-- load reads dimension p and brings its level to NOW at the rate it had,
-- then takes the caller's parameters at ARGV[i..i+3] when it has any.
local function load(p, i)
  local f = redis.call('HMGET', K, p .. 'rate', p .. 'cap', p .. 'most', p .. 'lvl', p .. 'at', p .. 'inf', p .. 'spent', p .. 'bin')
  local b = {p = p, rate = num(f[1], 0), cap = num(f[2], 0), most = num(f[3], 0), lvl = num(f[4], nil),
    at = num(f[5], NOW), inf = num(f[6], 0), spent = num(f[7], 0), bin = num(f[8], 0), init = 0}
  -- Time never goes backwards: a caller whose clock lags refills nothing.
  if b.lvl and NOW > b.at then
    b.lvl = math.min(b.lvl + (NOW - b.at) / 1e6 * b.rate, b.cap)
    b.at = NOW
  end
  local rate = tonumber(ARGV[i])
  if rate > 0 then
    b.rate, b.cap, b.most, b.init = rate, tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  end
  if b.lvl then
    b.lvl = math.min(b.lvl, b.cap)
  end
  return b
end

local function counting(b)
  return b.rate > 0 and b.lvl ~= nil
end

-- start begins counting a bucket that has a rate: at its size for the
-- caller's own limits, at 0 for learnt ones (after a restart the provider's
-- level is unknown: the next answers raise it).
local function start(b)
  if b.rate > 0 and not b.lvl then
    b.lvl, b.at = math.min(b.init, b.cap), NOW
  end
end

local function save(b)
  local p = b.p
  local f = {p .. 'rate', str(b.rate), p .. 'cap', str(b.cap), p .. 'most', str(b.most),
    p .. 'inf', str(b.inf), p .. 'spent', str(b.spent), p .. 'bin', str(b.bin)}
  if b.lvl then
    f[#f + 1] = p .. 'lvl'
    f[#f + 1] = str(b.lvl)
    f[#f + 1] = p .. 'at'
    f[#f + 1] = str(b.at)
  end
  redis.call('HSET', K, unpack(f))
end

-- finish saves both buckets and sets the TTL: the least TTL, plus the time
-- to refill the emptier bucket or to end the hold.
local function finish(rb, tb)
  save(rb)
  save(tb)
  local ms = TTL
  for _, b in ipairs({rb, tb}) do
    if counting(b) and b.lvl < b.cap then
      ms = math.max(ms, (b.cap - b.lvl) / b.rate * 1000 + TTL)
    end
  end
  local hold = num(redis.call('HGET', K, 'hold'), 0)
  if hold > NOW then
    ms = math.max(ms, (hold - NOW) / 1000 + TTL)
  end
  redis.call('PEXPIRE', K, math.ceil(ms))
end

-- claim reads a reservation's claim on one bucket at ARGV[i..i+3]: taken,
-- blind, in flight ahead of it, the bucket's spent after it.
local function claim(i)
  return {n = tonumber(ARGV[i]), blind = ARGV[i + 1] == '1', ahead = tonumber(ARGV[i + 2]), mark = tonumber(ARGV[i + 3])}
end

-- land ends claim c on bucket b: no longer in flight.
local function land(b, c, same)
  if not same then return end
  if c.blind then
    b.bin = math.max(0, b.bin - c.n)
  else
    b.inf = math.max(0, b.inf - c.n)
  end
end

-- counted reports whether claim c is part of bucket b's level.
local function counted(b, c, same)
  return same and not c.blind and counting(b)
end

-- give credits n back, up to the size.
local function give(b, n)
  if counting(b) and n > 0 then
    b.lvl = math.min(b.lvl + n, b.cap)
  end
end

-- observe takes in the remaining allowance a report gave (negative:
-- unknown). A bucket that was not counting starts from it, less what the
-- blind requests still in flight may have spent since; one that was only
-- goes down to it (the report is older than the requests sent since).
local function observe(b, rem)
  if rem < 0 or b.rate <= 0 then return end
  if not b.lvl then
    b.lvl, b.at = math.min(b.cap, math.max(0, rem - b.bin)), NOW
  else
    b.lvl = math.min(b.lvl, rem)
  end
end

-- raise brings the level up to what the report for claim c implies: the
-- provider had rem left after counting the request, and can have counted
-- since at most what was in flight ahead of it and what was sent after it.
local function raise(b, c, rem, same)
  if rem < 0 or not counted(b, c, same) then return end
  local lb = rem - c.ahead - (b.spent - c.mark)
  if lb > b.lvl then
    b.lvl = math.min(lb, b.cap)
  end
end

local function sethold(untilus)
  if untilus > num(redis.call('HGET', K, 'hold'), 0) then
    redis.call('HSET', K, 'hold', str(untilus))
  end
end

-- unprobe ends a probe of this epoch (one that came back, failed or was
-- not sent): its place is free for the next one.
local function unprobe(isprobe, same)
  if isprobe and same then
    local out = num(redis.call('HGET', K, 'pout'), 0)
    redis.call('HSET', K, 'pout', math.max(0, out - 1))
  end
end

-- answered records that an answer came back: slow start is over, whether
-- or not the answer told the limits.
local function answered()
  redis.call('HSET', K, 'seen', 1)
end

local rb, tb = load('r', 3), load('t', 7)
