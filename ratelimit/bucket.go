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
	level    float64
	at       time.Time // the time level was computed for
	counting bool      // level is meaningful
	epoch    uint64    // bumped when the level is overwritten

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

// wait returns how long, from now, until n can be taken (n is clamped to
// the capacity, so an oversized request waits for a full bucket and leaves
// the bucket in debt).
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

// take debits n at now. An unlimited bucket only counts it as blind, when
// blind is set.
func (b *bucket) take(now time.Time, n float64, blind bool) {
	if b.rate <= 0 {
		if blind && !b.counting {
			b.blindN++
			b.blindOut++
			b.blindAmt += max(n, 0)
		}
		return
	}
	if n <= 0 {
		return
	}
	b.settle(now)
	b.level -= n
}

// give credits n back at now, up to the capacity.
func (b *bucket) give(now time.Time, n float64) {
	if !b.counting || n == 0 {
		return
	}
	b.settle(now)
	b.level = min(b.level+n, b.capacity)
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
