-- Finish: ARGV[12] the epoch, [13..16] and [17..20] the claims, [21] the
-- answer's status (0: none), [22] its tokens by usage (0: unknown), [23]
-- and [24] the remaining requests and tokens it reported (negative:
-- unknown), [25] 1 to raise the levels to the report, [26] a hold until
-- (µs, 0: none), [27] 1 if the request was a probe of slow start.
local same = ARGV[12] == EP
local rc, tc = claim(13), claim(17)
land(rb, rc, same)
land(tb, tc, same)
local status, used = tonumber(ARGV[21]), tonumber(ARGV[22])
if used > 0 then
  if counted(tb, tc, same) then
    used = math.min(used, math.max(tb.most, tc.n))
    local d = tc.n - used
    if d > 0 then
      give(tb, d)
    else
      tb.lvl = tb.lvl + d
      tb.spent = tb.spent - d
    end
  end
elseif status >= 400 then
  -- Refused without usage: the provider spent no tokens on it.
  if counted(tb, tc, same) then give(tb, tc.n) end
end
unprobe(ARGV[27] == '1', same)
if status ~= 0 then
  answered()
  local rr, tr = tonumber(ARGV[23]), tonumber(ARGV[24])
  observe(rb, rr)
  observe(tb, tr)
  if ARGV[25] == '1' then
    raise(rb, rc, rr, same)
    raise(tb, tc, tr, same)
  end
  sethold(tonumber(ARGV[26]))
end
finish(rb, tb)
return {same and 1 or 0}
