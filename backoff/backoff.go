// Package backoff computes how long to wait before retrying a failed call:
// exponential growth, capped, with jitter so that many clients failing at
// the same moment do not retry at the same moment.
//
// A Policy is a plain value; its zero value is the documented default
// (DefaultBase 500ms, DefaultMax 30s, DefaultMultiplier 2, FullJitter).
// Policy.Delay is what most callers want:
//
//	for retry := 0; ; retry++ {
//		...
//		d := policy.Delay(retry, rand.Float64)
//		clk.Sleep(ctx, d)
//	}
//
// Delay is a pure function of its arguments: the randomness is passed in,
// so tests give a fixed source and assert exact durations. It holds no
// state and is safe for concurrent use.
package backoff

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Defaults used for zero fields of a Policy.
//
// They are shorter than the usual tutorial's base of 1s and cap of 60s
// (the loop bench/naive ports): with full jitter the mean wait is half the
// exponential, so five retries wait about 7.75s on average and at most
// 15.5s before the cap matters — long enough for a provider's bad second,
// short enough for an interactive call. The tutorial's behaviour is
// Policy{Base: time.Second, Max: time.Minute}.
const (
	DefaultBase       = 500 * time.Millisecond
	DefaultMax        = 30 * time.Second
	DefaultMultiplier = 2.0
)

// Jitter says how a delay is randomised. The zero value is FullJitter.
type Jitter int

// Jitter kinds, named as in the AWS Architecture Blog's "Exponential
// Backoff And Jitter". For an exponential delay d (already capped at Max):
const (
	// FullJitter waits a uniformly random time in [0, d). It spreads
	// retries the most and, in AWS's measurements, does the least total
	// work; it is the default.
	FullJitter Jitter = iota
	// NoJitter waits exactly d.
	NoJitter
	// EqualJitter waits d/2 plus a uniformly random time in [0, d/2): never
	// less than half the delay, still spread.
	EqualJitter
)

// String returns "full", "none" or "equal".
func (j Jitter) String() string {
	switch j {
	case FullJitter:
		return "full"
	case NoJitter:
		return "none"
	case EqualJitter:
		return "equal"
	}
	return fmt.Sprintf("Jitter(%d)", int(j))
}

// Policy describes exponential backoff: the delay before retry n (counting
// from 0) is Base·Multiplier^n, capped at Max, then jittered. Zero fields
// take the defaults above, so Policy{} is ready to use.
type Policy struct {
	// Base is the delay before the first retry, before jitter. Default 500ms.
	Base time.Duration
	// Max caps the delay before jitter. Default 30s.
	Max time.Duration
	// Multiplier is the growth factor per retry; it must be at least 1.
	// Default 2.
	Multiplier float64
	// Jitter randomises the delay. Default FullJitter.
	Jitter Jitter
}

// ErrInvalid is matched by the error Validate returns.
var ErrInvalid = errors.New("backoff: invalid policy")

// Validate reports a policy that Delay would have to correct: negative
// durations, a Base above Max, a Multiplier below 1 (other than the zero
// default) or not finite, an unknown Jitter. Delay never fails — it
// clamps — so callers that take a Policy from configuration should call
// Validate once, at construction.
func (p Policy) Validate() error {
	switch {
	case p.Base < 0:
		return fmt.Errorf("%w: negative base %s", ErrInvalid, p.Base)
	case p.Max < 0:
		return fmt.Errorf("%w: negative max %s", ErrInvalid, p.Max)
	case math.IsNaN(p.Multiplier) || math.IsInf(p.Multiplier, 0):
		return fmt.Errorf("%w: multiplier %v is not a finite number", ErrInvalid, p.Multiplier)
	case p.Multiplier != 0 && p.Multiplier < 1:
		return fmt.Errorf("%w: multiplier %v is below 1", ErrInvalid, p.Multiplier)
	case p.Jitter < FullJitter || p.Jitter > EqualJitter:
		return fmt.Errorf("%w: unknown jitter %d", ErrInvalid, int(p.Jitter))
	}
	if q := p.withDefaults(); q.Base > q.Max {
		return fmt.Errorf("%w: base %s is above max %s", ErrInvalid, q.Base, q.Max)
	}
	return nil
}

// withDefaults fills zero fields and clamps invalid ones, so that Delay is
// total.
func (p Policy) withDefaults() Policy {
	if p.Base <= 0 {
		p.Base = DefaultBase
	}
	if p.Max <= 0 {
		p.Max = DefaultMax
	}
	if p.Multiplier == 0 || math.IsNaN(p.Multiplier) {
		p.Multiplier = DefaultMultiplier
	}
	if p.Multiplier < 1 {
		p.Multiplier = 1
	}
	return p
}

// Exponential returns the delay before retry (0 is the first retry) before
// jitter: min(Max, Base·Multiplier^retry). A negative retry counts as 0. It
// does not overflow: any retry count, however large, gives at most Max.
func (p Policy) Exponential(retry int) time.Duration {
	p = p.withDefaults()
	if retry < 0 {
		retry = 0
	}
	if p.Base >= p.Max {
		return p.Max
	}
	// Computed in float64, where overflow becomes +Inf and compares above
	// Max; time.Duration(x) is only taken once x is known to fit.
	d := float64(p.Base) * math.Pow(p.Multiplier, float64(retry))
	if !(d < float64(p.Max)) { // also catches +Inf
		return p.Max
	}
	return time.Duration(d)
}

// Delay returns how long to wait before retry (0 is the first retry): the
// capped exponential delay with the policy's jitter applied. random must
// return values in [0, 1), like math/rand/v2.Float64; values outside are
// clamped into it, and a nil random uses math/rand/v2.Float64 (only
// NoJitter needs no randomness). Delay is never negative and never above
// Max.
func (p Policy) Delay(retry int, random func() float64) time.Duration {
	d := p.Exponential(retry)
	switch p.Jitter {
	case NoJitter:
		return d
	case EqualJitter:
		half := d / 2
		return half + scale(d-half, draw(random))
	default:
		return scale(d, draw(random))
	}
}

// draw calls random, or math/rand/v2.Float64 when it is nil, and clamps the
// result into [0, 1).
func draw(random func() float64) float64 {
	if random == nil {
		random = rand.Float64
	}
	r := random()
	switch {
	case !(r > 0): // also NaN
		return 0
	case r >= 1:
		return math.Nextafter(1, 0)
	}
	return r
}

// scale returns d·r for r in [0, 1), rounded down, so the result stays
// below d (or 0 when d is 0).
func scale(d time.Duration, r float64) time.Duration {
	return time.Duration(float64(d) * r)
}
