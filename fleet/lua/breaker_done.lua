-- Done: ARGV[9] the ticket's generation, [10] its incarnation, [11] 1 for a
-- probe, [12] the outcome (0 success, 1 failure, 2 ignored), [13] the
-- least results in the window to open, [14] the failure rate that opens,
-- [15] the successful probes that close. Returns 1 when this outcome
-- opened the breaker, else 0, then the rest of answer (the time: the end of
-- the cool-down).
local gen, inc, probe, outcome = tonumber(ARGV[9]), ARGV[10], ARGV[11] == '1', tonumber(ARGV[12])
local MINCALLS, THRESHOLD, TOCLOSE = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15])
if gen ~= B.gen or inc ~= B.inc then
  save()
  return answer(0, B.til)
end

local function index(t)
  return math.floor(t / WIDTH)
end

-- add counts a result in the window, unless it is older than the window
-- of a later result.
local function add(ok, fails)
  local i = index(NOW)
  local newest = num(redis.call('HGET', K, 'newest'), nil)
  if newest and i <= newest - NB then return end
  if not newest or i > newest then newest = i end
  local s = i % NB
  local g = redis.call('HMGET', K, 'wi' .. s, 'wo' .. s, 'wf' .. s)
  local si, so, sf = num(g[1], nil), num(g[2], 0), num(g[3], 0)
  if not si or si < i then
    so, sf = 0, 0
  elseif si > i then
    return
  end
  redis.call('HSET', K, 'wi' .. s, i, 'wo' .. s, so + ok, 'wf' .. s, sf + fails, 'newest', newest)
end

-- sum returns the results in the window ending at now, or at the newest
-- result if that is later.
local function sum()
  local newest = num(redis.call('HGET', K, 'newest'), nil)
  if not newest then return 0, 0 end
  local i = math.max(index(NOW), newest)
  local fields = {}
  for s = 0, NB - 1 do
    fields[#fields + 1] = 'wi' .. s
    fields[#fields + 1] = 'wo' .. s
    fields[#fields + 1] = 'wf' .. s
  end
  local g = redis.call('HMGET', K, unpack(fields))
  local ok, fails = 0, 0
  for s = 0, NB - 1 do
    local si = num(g[3 * s + 1], nil)
    if si and si <= i and si > i - NB then
      ok = ok + num(g[3 * s + 2], 0)
      fails = fails + num(g[3 * s + 3], 0)
    end
  end
  return ok, fails
end

local opened = 0
if B.st == 0 then
  if outcome == 0 then
    add(1, 0)
  elseif outcome == 1 then
    add(0, 1)
    local ok, fails = sum()
    local n = ok + fails
    if n >= MINCALLS and fails >= THRESHOLD * n then
      set(2)
      opened = 1
    end
  end
elseif B.st == 1 and probe then
  B.inflight = math.max(0, B.inflight - 1)
  if outcome == 0 then
    B.okp = B.okp + 1
    if B.okp >= TOCLOSE then set(0) end
  elseif outcome == 1 then
    set(2)
    opened = 1
  end
end
save()
return answer(opened, B.til)
