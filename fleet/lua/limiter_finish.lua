-- Finish: ARGV[11] the epoch, [12..15] and [16..19] the claims, [20] the
-- answer's status (0: none), [21] its tokens by usage (0: unknown), [22]
-- and [23] the remaining requests and tokens it reported (negative:
-- unknown), [24] 1 to raise the levels to the report, [25] a hold until
-- (µs, 0: none).
local same = ARGV[11] == EP
local rc, tc = claim(12), claim(16)
land(rb, rc, same)
land(tb, tc, same)
local status, used = tonumber(ARGV[20]), tonumber(ARGV[21])
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
if status ~= 0 then
  local rr, tr = tonumber(ARGV[22]), tonumber(ARGV[23])
  observe(rb, rr)
  observe(tb, tr)
  if ARGV[24] == '1' then
    raise(rb, rc, rr, same)
    raise(tb, tc, tr, same)
  end
  sethold(tonumber(ARGV[25]))
end
finish(rb, tb)
return {same and 1 or 0}
