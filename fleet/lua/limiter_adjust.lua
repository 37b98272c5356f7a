-- Adjust: ARGV[12] tokens to give back (positive) or take (negative, at
-- most the most one request counts for).
local n = tonumber(ARGV[12])
if n > 0 then
  give(tb, n)
elseif n < 0 and counting(tb) then
  n = math.min(-n, tb.most)
  tb.lvl = tb.lvl - n
  tb.spent = tb.spent + n
end
finish(rb, tb)
return {1}
