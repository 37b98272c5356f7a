-- OnRateLimited: ARGV[12] no request before this time (µs, 0: none). The
-- request bucket is emptied, so that calls resume at the provider's rate.
sethold(tonumber(ARGV[12]))
if counting(rb) then
  rb.lvl = math.min(rb.lvl, 0)
end
finish(rb, tb)
return {1}
