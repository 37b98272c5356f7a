-- Observe: ARGV[11] and [12] the remaining requests and tokens reported
-- (negative: unknown), [13] a hold until (µs, 0: none).
observe(rb, tonumber(ARGV[11]))
observe(tb, tonumber(ARGV[12]))
sethold(tonumber(ARGV[13]))
finish(rb, tb)
return {1}
