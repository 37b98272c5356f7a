package sim

import (
	"math"
	"strconv"
	"sync"
	"time"
)

// bucket is a token bucket that holds up to limit tokens and refills
// limit tokens per minute, continuously, on the time it is given.
type bucket struct {
	limit float64
	avail float64
	last  time.Time
}

func newBucket(limit int, now time.Time) bucket {
	return bucket{limit: float64(limit), avail: float64(limit), last: now}
}

func (b *bucket) on() bool { return b.limit > 0 }

// advance refills the bucket up to now.
func (b *bucket) advance(now time.Time) {
	if el := now.Sub(b.last); el > 0 {
		b.avail = math.Min(b.limit, b.avail+el.Seconds()*b.limit/60)
		b.last = now
	}
}

// wait is how long until n tokens are available.
func (b *bucket) wait(n float64) time.Duration {
	if b.avail >= n {
		return 0
	}
	return time.Duration(math.Ceil((n - b.avail) * 60e9 / b.limit))
}

// full is how long until the bucket is full again.
func (b *bucket) full() time.Duration {
	if b.avail >= b.limit {
		return 0
	}
	return time.Duration(math.Ceil((b.limit - b.avail) * 60e9 / b.limit))
}

func (b *bucket) remaining() int {
	if b.avail <= 0 {
		return 0
	}
	return int(math.Floor(b.avail + 1e-9))
}

// limiter holds the request and token buckets. It is safe for concurrent
// use; every method takes the time, so tests drive it exactly.
type limiter struct {
	mu       sync.Mutex
	requests bucket
	tokens   bucket
}

// limitState is a snapshot of the buckets for the rate-limit headers.
type limitState struct {
	rpm, tpm           int
	remReq, remTok     int
	resetReq, resetTok time.Duration
	retryAfter         time.Duration
	limitedBy          string // "requests" or "tokens" when refused
	tooLarge           bool   // the request needs more tokens than the bucket holds
	requested          int
}

func newLimiter(rpm, tpm int, now time.Time) *limiter {
	return &limiter{requests: newBucket(rpm, now), tokens: newBucket(tpm, now)}
}

// admit takes one request and tokens (the prompt's) from the buckets, or
// refuses, saying which bucket and for how long; need is how many tokens
// must be available (the prompt plus max_tokens, as OpenAI counts).
func (l *limiter) admit(now time.Time, tokens, need int) (limitState, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.requests.advance(now)
	l.tokens.advance(now)
	st := limitState{rpm: int(l.requests.limit), tpm: int(l.tokens.limit), requested: need}
	ok := true
	if l.requests.on() {
		if w := l.requests.wait(1); w > 0 {
			ok, st.limitedBy, st.retryAfter = false, "requests", w
		}
	}
	if ok && l.tokens.on() {
		if float64(need) > l.tokens.limit {
			ok, st.limitedBy, st.tooLarge = false, "tokens", true
		} else if w := l.tokens.wait(float64(need)); w > 0 {
			ok, st.limitedBy, st.retryAfter = false, "tokens", w
		}
	}
	if ok {
		if l.requests.on() {
			l.requests.avail--
		}
		if l.tokens.on() {
			l.tokens.avail -= float64(tokens)
		}
	}
	st.remReq, st.resetReq = l.requests.remaining(), l.requests.full()
	st.remTok, st.resetTok = l.tokens.remaining(), l.tokens.full()
	return st, ok
}

// charge takes n more tokens (the completion's) from the token bucket; it
// may go below zero, a debt later requests wait for.
func (l *limiter) charge(now time.Time, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tokens.on() {
		l.tokens.advance(now)
		l.tokens.avail -= float64(n)
	}
}

// resetString writes a duration as OpenAI's x-ratelimit-reset-* headers
// do: "6m0s", "1s", "20ms", "1.5s".
func resetString(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	if d < time.Millisecond {
		d = time.Millisecond
	}
	return ceilDuration(d, time.Millisecond).String()
}

func ceilDuration(d, unit time.Duration) time.Duration {
	if r := d % unit; r != 0 {
		d += unit - r
	}
	return d
}

// retryAfterSeconds is the Retry-After value: whole seconds, rounded up.
func retryAfterSeconds(d time.Duration) string {
	s := int64(math.Ceil(d.Seconds()))
	if s < 1 {
		s = 1
	}
	return strconv.FormatInt(s, 10)
}

func retryAfterMillis(d time.Duration) string {
	ms := int64(math.Ceil(float64(d) / float64(time.Millisecond)))
	if ms < 1 {
		ms = 1
	}
	return strconv.FormatInt(ms, 10)
}
