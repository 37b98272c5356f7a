-- Repay: ARGV[12..13] the requests and tokens a process sent paced locally
-- during an outage, [14..15] those it still has queued locally. What was
-- sent lowers a level, but never below empty (the provider's bucket
-- refuses rather than going into debt: past requests can at most have
-- emptied it, so at most a full bucket is repaid); what is queued will be
-- sent, and puts the bucket in debt, at most a minute of its rate.
start(rb)
start(tb)
local function repay(b, sent, queued)
  if not counting(b) then return end
  local lv = math.max(math.min(b.lvl, 0), b.lvl - math.max(sent, 0))
  queued = math.min(math.max(queued, 0), b.rate * 60)
  b.spent = b.spent + (b.lvl - lv) + queued
  b.lvl = lv - queued
end
repay(rb, tonumber(ARGV[12]), tonumber(ARGV[14]))
repay(tb, tonumber(ARGV[13]), tonumber(ARGV[15]))
finish(rb, tb)
return {1}
