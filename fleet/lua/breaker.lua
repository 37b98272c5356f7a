-- The shared circuit breaker's state, one hash per account (KEYS[1]), and
-- the helpers of the breaker scripts. Each script is this file followed by
-- one operation. Fields:
--   st          0 closed, 1 half-open, 2 open
--   gen         the generation: bumped by every state change
--   inc         the incarnation: random, set when the hash is created;
--               tickets of another (before a restart or an expiry) are
--               stale
--   opened, til when it last opened, and when its cool-down ends (µs)
--   inflight    half-open: probes in flight; okp: successful probes
--   last        half-open: when the last probe was admitted (µs)
--   newest      the window's newest bucket index; wi<s>, wo<s>, wf<s> the
--               index, successes and failures of slot s
--
-- ARGV: [1] now (µs) [2] TTL (ms) [3] cool-down (µs) [4] probes [5] probe
-- timeout (µs) [6] window bucket width (µs) [7] buckets [8] a random
-- incarnation for a new hash; [9..] the operation's.
local K = KEYS[1]
local NOW = tonumber(ARGV[1])
local TTL, COOL, PROBES, PTO = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local WIDTH, NB = tonumber(ARGV[6]), tonumber(ARGV[7])

local function num(v, d)
  if v then return tonumber(v) end
  return d
end

local function str(x)
  return string.format('%.17g', x)
end

local f = redis.call('HMGET', K, 'st', 'gen', 'inc', 'opened', 'til', 'inflight', 'okp', 'last')
local B = {st = num(f[1], 0), gen = num(f[2], 0), inc = f[3] or ARGV[8], opened = num(f[4], 0), til = num(f[5], 0),
  inflight = num(f[6], 0), okp = num(f[7], 0), last = num(f[8], 0)}
local CHANGES = {}
local CLEAR = false

-- set moves to a new state and generation, and records the change.
local function set(to)
  CHANGES[#CHANGES + 1] = B.st
  CHANGES[#CHANGES + 1] = to
  B.st, B.gen, B.inflight, B.okp = to, B.gen + 1, 0, 0
  if to == 0 then
    CLEAR = true
  elseif to == 2 then
    B.opened, B.til = NOW, NOW + COOL
  else
    B.last = NOW
  end
end

-- advance applies the time-based transition open → half-open.
local function advance()
  if B.st == 2 and NOW >= B.til then set(1) end
end

local function save()
  if CLEAR then
    local fields = {'newest'}
    for s = 0, NB - 1 do
      fields[#fields + 1] = 'wi' .. s
      fields[#fields + 1] = 'wo' .. s
      fields[#fields + 1] = 'wf' .. s
    end
    redis.call('HDEL', K, unpack(fields))
  end
  redis.call('HSET', K, 'st', B.st, 'gen', B.gen, 'inc', B.inc, 'opened', str(B.opened), 'til', str(B.til),
    'inflight', B.inflight, 'okp', B.okp, 'last', str(B.last))
  redis.call('PEXPIRE', K, TTL)
end

-- answer returns the result, the state, the generation, the incarnation,
-- a time (the end of the cool-down, or of the probes' timeout), and the
-- changes made, as from, to pairs.
local function answer(result, t)
  local out = {result, B.st, B.gen, B.inc, str(t)}
  for _, c in ipairs(CHANGES) do out[#out + 1] = c end
  return out
end

advance()
