-- Observe: ARGV[12] and [13] the remaining requests and tokens reported
-- (negative: unknown), [14] a hold until (µs, 0: none).
observe(rb, tonumber(ARGV[12]))
observe(tb, tonumber(ARGV[13]))
sethold(tonumber(ARGV[14]))
answered()
finish(rb, tb)
return {1}
