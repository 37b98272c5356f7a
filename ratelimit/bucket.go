package ratelimit

import (
	"math"
	"time"
)

// bucket is one dimension of the limiter (requests or tokens): a token
// bucket that holds up to capacity, refills at rate per second, and may go
// into debt (a negative level) when calls reserve ahead of time. It mirrors
// the provider's own bucket. A bucket with rate 0 is unlimited: it neither
// delays nor counts.
type bucket struct {
	// From the configuration: the client's own limit.
	cfgRate, cfgCap float64

	// Learnt from snapshots.
	limit   float64       // the provider's Limit; 0 when unknown
	lo, hi  time.Duration // bounds on the provider's period from its reports
	reports int           // how many reports the bounds come from
	mixed   bool          // the reports disagree: do not estimate

	// Effective bucket.
	rate     float64 // per second; 0 means unlimited
	capacity float64
	most     float64 // the most one request is counted for (see update)
	level    float64
	at       time.Time // the time level was computed for
	counting bool      // level is meaningful
	epoch    uint64    // bumped when the level is overwritten

	// What reservations took: the sum of the claims not yet finished, and
	// the running total of every claim (see raise).
	inflight, spent float64

	// Requests sent before the bucket was counting ("blind"): how many,
	// what they took, how many answers are still to come.
	blindN, blindOut int
	blindAmt         float64
	warmLB           float64 // the best lower bound on the level seen so far
}

// levelAt returns the level at now (not before at).
func (b *bucket) levelAt(now time.Time) float64 {
	if !b.counting {
		return 0
	}
	lv := b.level
	if d := now.Sub(b.at); d > 0 {
		lv += d.Seconds() * b.rate
	}
	return min(lv, b.capacity)
}

// settle moves the bucket's time to now.
func (b *bucket) settle(now time.Time) {
	if !b.counting {
		return
	}
	if now.After(b.at) {
		b.level = b.levelAt(now)
		b.at = now
	}
}

// wait returns how long, from now, until n can be taken: n is clamped to
// the capacity, so that a request larger than the bucket waits for a full
// one.
func (b *bucket) wait(now time.Time, n float64) time.Duration {
	if b.rate <= 0 || n <= 0 {
		return 0
	}
	need := min(n, b.capacity) - b.levelAt(now)
	if need <= 0 {
		return 0
	}
	return secondsToDuration(need / b.rate)
}

// claim is what one reservation took from a bucket, so that its answer
// can correct it.
type claim struct {
	n     float64 // taken
	epoch uint64  // the bucket's epoch then
	// ahead is what was in flight when it was taken, and mark the
	// bucket's spent after it: what the provider may have counted after
	// this request is at most ahead + (spent − mark).
	ahead, mark float64
	counted     bool // n is part of the bucket's inflight
}

// take debits n at now and returns the claim. A request up to most is
// debited in full, leaving the bucket in debt that later requests wait
// for; a larger one, which the provider refuses (OpenAI answers 429
// "Request too large"), is counted for what the bucket holds, never more
// and never into debt, so that it cannot hold the others back by more than
// one bucket, however many there are. An unlimited bucket only counts n as
// blind, when blind is set.
func (b *bucket) take(now time.Time, n float64, blind bool) claim {
	if b.rate <= 0 {
		if blind && !b.counting {
			b.blindN++
			b.blindOut++
			b.blindAmt += max(n, 0)
		}
		return claim{epoch: b.epoch}
	}
	b.settle(now)
	n = max(n, 0)
	if n > b.most {
		n = max(0, min(b.level, b.most))
	}
	c := claim{n: n, epoch: b.epoch, ahead: b.inflight, counted: true}
	b.level -= n
	b.inflight += n
	b.spent += n
	c.mark = b.spent
	return c
}

// give credits n back at now, up to the capacity.
func (b *bucket) give(now time.Time, n float64) {
	if !b.counting || n == 0 {
		return
	}
	b.settle(now)
	b.level = min(b.level+n, b.capacity)
}

// land ends claim c: its request is no longer in flight.
func (b *bucket) land(c claim) {
	if c.counted && c.epoch == b.epoch {
		b.inflight = max(0, b.inflight-c.n)
	}
}

// refund gives claim c back in full at now: its request was not sent, or
// the provider refused it without counting it.
func (b *bucket) refund(now time.Time, c claim) {
	b.land(c)
	if c.epoch == b.epoch {
		b.give(now, c.n)
	}
}

// correct sets claim c to used, what the provider says the request
// counted, at now: the difference is given back or taken, never beyond
// most for the request in all.
func (b *bucket) correct(now time.Time, c claim, used float64) {
	b.land(c)
	if c.epoch != b.epoch || !b.counting {
		return
	}
	used = min(max(used, 0), max(b.most, c.n))
	if d := c.n - used; d > 0 {
		b.give(now, d)
	} else if d < 0 {
		b.settle(now)
		b.level += d
		b.spent -= d
	}
}

// raise brings the level up to what the provider reported, r, for the
// answer to claim c, at now. The provider had r left after counting the
// request; since then it can have counted at most the requests that were
// in flight when this one was sent and those sent after it, so the level
// is at least r minus those. That corrects a level the estimates left too
// low (an answer without usage, a timeout that spent nothing), which
// nothing else would.
func (b *bucket) raise(now time.Time, c claim, r float64) {
	if !b.counting || !c.counted || c.epoch != b.epoch {
		return
	}
	b.settle(now)
	if lb := r - c.ahead - (b.spent - c.mark); lb > b.level {
		b.level = min(lb, b.capacity)
	}
}

// update recomputes the effective rate and capacity from the configured
// and learnt limits, at now. defaultPeriod applies when no period was
// estimated; fixed, when set, overrides estimates; share scales the learnt
// rate.
func (b *bucket) update(now time.Time, fixed, defaultPeriod time.Duration, share float64) {
	b.settle(now)
	rate, capacity := b.cfgRate, b.cfgCap
	if b.limit > 0 {
		period := defaultPeriod
		if fixed > 0 {
			period = fixed
		} else if p := b.estimated(); p > 0 {
			period = p
		}
		if lr := b.limit / period.Seconds() * share; rate == 0 || lr < rate {
			rate, capacity = lr, b.limit
		}
	}
	if rate > 0 && !b.counting {
		b.counting, b.level, b.at = true, capacity, now
	}
	b.rate, b.capacity = rate, capacity
	// A request above the provider's Limit is refused by the provider;
	// without one, a minute of the configured rate is the most one request
	// counts for (a burst of a second must not cut requests short).
	b.most = b.limit
	if b.limit == 0 {
		b.most = max(capacity, b.cfgRate*60)
	}
	if b.counting {
		b.level = min(b.level, capacity)
	}
}

// observe takes in a quota reported at now.
func (b *bucket) observe(now time.Time, q Quota) {
	if !q.HasLimit || q.Limit <= 0 {
		return
	}
	if l := float64(q.Limit); l != b.limit {
		b.limit, b.lo, b.hi, b.reports, b.mixed = l, 0, 0, 0, false
	}
	if q.HasRemaining && q.HasReset && q.Remaining <= q.Limit-2 && q.Reset > 0 {
		b.estimate(float64(q.Limit-q.Remaining), q.Reset)
	}
}

// estimate narrows the period from one report. A bucket of size limit
// that lacks d refills in reset, so the whole limit takes reset·limit/d.
// Providers round Remaining down (a bucket at 0.4 reports 0), so the true
// deficit is in (d−1, d], and the period in [reset·limit/d,
// reset·limit/(d−1)). The limiter paces with the least upper bound seen,
// which errs towards a longer period and converges as reports accumulate.
// It is trusted once two reports agree; when their ranges do not overlap
// (with a quarter's slack for rounded resets), the provider's reset is not
// a token bucket's, and the default period applies to this limit.
func (b *bucket) estimate(d float64, reset time.Duration) {
	lo := time.Duration(float64(reset) * b.limit / d)
	hi := time.Duration(float64(reset) * b.limit / (d - 1))
	if lo <= 0 || hi <= 0 {
		return
	}
	b.lo = max(b.lo, lo)
	if b.hi == 0 || hi < b.hi {
		b.hi = hi
	}
	b.reports++
	if float64(b.lo) > 1.25*float64(b.hi) {
		b.mixed = true
	}
}

// estimated returns the estimated period, or 0.
func (b *bucket) estimated() time.Duration {
	if b.reports < 2 || b.mixed {
		return 0
	}
	return b.hi
}

// sync brings the level in line with what the provider reports, at now.
//
// A report is an upper bound: Remaining was counted when the request
// arrived, before the requests sent since, so the level only ever goes
// down to it.
//
// While answers to blind requests (sent before anything was known,
// typically a burst of concurrent first calls) are still out, a report is
// also a lower bound: at worst every other blind request reached the
// provider after this one, so the level is at least Remaining minus all of
// them. The first report sets the level to that bound, and later ones raise
// it as the bound improves (the answer to the request the provider counted
// first gives the exact level); the refill since is credited on top.
func (b *bucket) sync(now time.Time, q Quota, fresh bool) {
	warm := b.blindOut > 0
	if b.blindOut > 0 {
		b.blindOut--
	}
	if !b.counting || !q.HasRemaining {
		return
	}
	r := float64(q.Remaining)
	b.settle(now)
	lb := r
	if b.blindN > 0 {
		// A provider's bucket never goes below zero: it refuses instead.
		lb = max(0, r-b.blindAmt*float64(b.blindN-1)/float64(b.blindN))
	}
	switch {
	case fresh:
		b.level, b.warmLB, b.epoch = min(lb, b.capacity), lb, b.epoch+1
	case warm && lb > b.warmLB:
		b.level += lb - b.warmLB
		b.warmLB = lb
	}
	b.level = min(b.level, r, b.capacity)
}

// secondsToDuration converts without overflow.
func secondsToDuration(s float64) time.Duration {
	if s >= math.MaxInt64/float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(math.Ceil(s * float64(time.Second)))
}

// owe empties the bucket at now and takes n more, as claims nobody will
// correct: at most one DefaultPeriod of the rate in debt.
func (b *bucket) owe(now time.Time, n float64) {
	if b.rate <= 0 || !b.counting {
		return
	}
	b.settle(now)
	n = min(n, b.rate*DefaultPeriod.Seconds())
	b.level = min(b.level, 0) - n
	b.spent += n
}
