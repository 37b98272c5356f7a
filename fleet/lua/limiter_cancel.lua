-- Cancel: ARGV[12] the epoch, [13..16] and [17..20] the claims, given back
-- in full, [21] 1 if the request was a probe of slow start.
local same = ARGV[12] == EP
local rc, tc = claim(13), claim(17)
land(rb, rc, same)
land(tb, tc, same)
unprobe(ARGV[21] == '1', same)
if counted(rb, rc, same) then give(rb, rc.n) end
if counted(tb, tc, same) then give(tb, tc.n) end
finish(rb, tb)
return {same and 1 or 0}
