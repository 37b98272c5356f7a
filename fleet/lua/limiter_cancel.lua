-- Cancel: ARGV[11] the epoch, [12..15] and [16..19] the claims, given back
-- in full.
local same = ARGV[11] == EP
local rc, tc = claim(12), claim(16)
land(rb, rc, same)
land(tb, tc, same)
if counted(rb, rc, same) then give(rb, rc.n) end
if counted(tb, tc, same) then give(tb, tc.n) end
finish(rb, tb)
return {same and 1 or 0}
