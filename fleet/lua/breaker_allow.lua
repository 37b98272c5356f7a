-- Allow: returns 1 for a call (2 for a probe) or 0 for a refusal, then
-- the rest of answer; the time is when the breaker may admit a call.
if B.st == 0 then
  save()
  return answer(1, 0)
elseif B.st == 2 then
  save()
  return answer(0, B.til)
end
if B.inflight >= PROBES and NOW >= B.last + PTO then
  -- The probes in flight are lost: start over, so that their late
  -- outcomes are ignored.
  B.gen, B.inflight, B.okp = B.gen + 1, 0, 0
end
if B.inflight < PROBES then
  B.inflight = B.inflight + 1
  B.last = NOW
  save()
  return answer(2, 0)
end
save()
return answer(0, B.last + PTO)
