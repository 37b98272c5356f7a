package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/reask/reask/clock"
)

// DefaultPeriod is the window a provider's Limit is taken to cover when the
// headers do not tell: OpenAI's and Anthropic's limits are per minute.
const DefaultPeriod = time.Minute

// Config configures a Limiter. Every field is optional; the zero Config
// limits nothing until the provider's headers say what to do.
type Config struct {
	// RPM and TPM are the client's own limits in requests and tokens per
	// minute; 0 means none. The provider's learnt limits apply too: the
	// lower rate wins.
	RPM, TPM int
	// Burst and TokenBurst are how many requests and tokens the client's
	// own limits let through at once. Default one second's worth (at least
	// one request). Learnt limits use the provider's Limit, which is the
	// size of the provider's bucket.
	Burst, TokenBurst int
	// Period is the window of the provider's limits. By default it is
	// estimated from the headers (a bucket of Limit with Remaining left
	// refills in Reset, so the whole Limit takes Reset·Limit/(Limit −
	// Remaining)), and is DefaultPeriod until an estimate exists or when
	// estimates disagree.
	Period time.Duration
	// Headroom is the share of a learnt limit left unused, in [0, 0.5):
	// 0.05 paces at 95% of the provider's rate. Default 0: the limiter
	// mirrors the provider's bucket exactly, and its own lag (it counts a
	// request when it is sent, the provider when it arrives) is the margin.
	Headroom float64
	// Decrease and Increase adapt the share of a learnt limit the client
	// uses, for when others spend the same quota (other processes with the
	// same API key): each 429 that the buckets did not foresee lowers the
	// share by Decrease, each answer raises it by Increase, up to 1 and
	// down to MinShare. In steady contention about Increase/Decrease of
	// the requests are answered 429. Defaults 0.02 and 0.0002 (1%);
	// both in [0, 1]. The configured RPM and TPM are not adapted.
	Decrease, Increase float64
}

// Defaults for the adaptation of the learnt limits; MinShare is the least
// share of a learnt limit the client keeps using.
const (
	DefaultDecrease = 0.02
	DefaultIncrease = 0.0002
	MinShare        = 0.01
)

// ErrInvalidConfig is matched by the error New returns.
var ErrInvalidConfig = errors.New("ratelimit: invalid config")

// Validate reports a configuration out of range.
func (c Config) Validate() error {
	switch {
	case c.RPM < 0 || c.TPM < 0:
		return fmt.Errorf("%w: negative limit (RPM %d, TPM %d)", ErrInvalidConfig, c.RPM, c.TPM)
	case c.Burst < 0 || c.TokenBurst < 0:
		return fmt.Errorf("%w: negative burst (%d, %d)", ErrInvalidConfig, c.Burst, c.TokenBurst)
	case c.Period < 0:
		return fmt.Errorf("%w: negative period %s", ErrInvalidConfig, c.Period)
	case math.IsNaN(c.Headroom) || c.Headroom < 0 || c.Headroom >= 0.5:
		return fmt.Errorf("%w: headroom %v is not in [0, 0.5)", ErrInvalidConfig, c.Headroom)
	case !(c.Decrease >= 0 && c.Decrease <= 1) || !(c.Increase >= 0 && c.Increase <= 1):
		return fmt.Errorf("%w: decrease %v and increase %v must be in [0, 1]", ErrInvalidConfig, c.Decrease, c.Increase)
	}
	return nil
}

// ErrDeadline is matched by the error Wait returns when the wait would
// outlast the context's deadline.
var ErrDeadline = errors.New("ratelimit: wait would exceed the context deadline")

// DeadlineError is the error Wait returns, without waiting, when the
// context's deadline would pass first. It matches ErrDeadline.
type DeadlineError struct {
	// Delay is the wait that was needed; Left is the time the context had.
	Delay, Left time.Duration
}

// Error describes the refusal.
func (e *DeadlineError) Error() string {
	return fmt.Sprintf("ratelimit: waiting %s for the rate limit would exceed the context deadline (%s left)", e.Delay, e.Left)
}

// Is reports whether target is ErrDeadline.
func (e *DeadlineError) Is(target error) bool { return target == ErrDeadline }

// Limiter paces the requests of one client to one provider so that they
// stay within the provider's requests- and tokens-per-minute limits, and
// shares what any call learns with all of them.
//
// It keeps a token bucket per dimension (requests, tokens) that mirrors the
// provider's own — OpenAI and Anthropic both refill a bucket of Limit
// continuously:
//
//   - With nothing configured and nothing learnt, it never delays.
//   - Observe feeds it each answer's Snapshot. Limit sets the bucket's
//     size and, over the period (estimated from the resets), its refill
//     rate. Remaining sets its level: the calls sent before anything was
//     known (a burst of concurrent first calls) are accounted for, so that
//     they cannot be followed by a second burst past the provider's bucket;
//     afterwards Observe only ever lowers the level to a report, as it is
//     older than the requests sent since (Reservation.Finish, which knows
//     what was sent since, also raises it).
//   - OnRateLimited, after a 429, holds every caller until the provider's
//     Retry-After has passed instead of letting each discover it, and
//     empties the request bucket, so that calls resume at the provider's
//     rate rather than all at once. A 429 the buckets did not foresee means
//     someone else spends the same quota: the share of the learnt limits
//     the client uses drops by Config.Decrease, and each answer wins back
//     Config.Increase.
//   - Reserve and Wait take a request (and its estimated tokens) from the
//     buckets, waiting for them when they are empty; waiters queue in
//     order, each one refill interval after the previous. A request is
//     counted for at most the provider's Limit, and one larger than that
//     never puts the bucket in debt (see Reserve).
//   - Reservation.Finish corrects what a request took from its answer: an
//     error gives its tokens back, usage sets them, and the answer's
//     Remaining raises a level that estimates left too low.
//
// Most callers want Wait before each request, Finish on its reservation
// with each answer (or Observe, without a reservation), and OnRateLimited
// after each 429.
//
// In a simulation of 32 concurrent callers against providers from 20 to
// 6,000 requests per minute (sim_test.go), it reaches 98–100% of what the
// provider could serve with no 429 at all once the first answer is in.
//
// Time is an argument of every method (Wait takes a clock.Clock); the
// limiter starts no goroutine and no timer. A Limiter is safe for
// concurrent use; the zero Limiter is ready to use, with the zero Config.
//
// Why not golang.org/x/time/rate: its Limiter takes the time the same way
// and its arithmetic is the model for ours, but its level can only be
// lowered (by reserving), never set, and its burst is an int fixed ahead of
// time, while this limiter must start from the provider's Remaining, resize
// when the provider's Limit is learnt, and serve requests larger than a
// small token bucket.
type Limiter struct {
	mu       sync.Mutex
	cfg      Config
	init     bool
	requests bucket
	tokens   bucket
	blocked  time.Time // no request before this time (Retry-After)
	// observed is set by the first Observe. Requests reserved before it
	// are blind: in flight, unknown to the buckets.
	observed bool
	// share is the share of the learnt limits in use; 0 stands for 1.
	// lastBlind: the latest Observe answered a blind request.
	share     float64
	lastBlind bool
}

// New returns a limiter, or an error matching ErrInvalidConfig.
func New(c Config) (*Limiter, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	l := &Limiter{cfg: c}
	return l, nil
}

// setup applies the configuration, once. l.mu is held.
func (l *Limiter) setup(now time.Time) {
	if l.init {
		return
	}
	l.init = true
	c := l.cfg
	if l.cfg.Decrease == 0 {
		l.cfg.Decrease = DefaultDecrease
	}
	if l.cfg.Increase == 0 {
		l.cfg.Increase = DefaultIncrease
	}
	l.share = 1
	if c.RPM > 0 {
		l.requests.cfgRate = float64(c.RPM) / 60
		l.requests.cfgCap = float64(c.Burst)
		if c.Burst == 0 {
			l.requests.cfgCap = max(1, math.Floor(l.requests.cfgRate))
		}
	}
	if c.TPM > 0 {
		l.tokens.cfgRate = float64(c.TPM) / 60
		l.tokens.cfgCap = float64(c.TokenBurst)
		if c.TokenBurst == 0 {
			l.tokens.cfgCap = max(1, math.Floor(l.tokens.cfgRate))
		}
	}
	l.update(now)
}

func (l *Limiter) update(now time.Time) {
	f := (1 - l.cfg.Headroom) * l.share
	l.requests.update(now, l.cfg.Period, DefaultPeriod, f)
	l.tokens.update(now, l.cfg.Period, DefaultPeriod, f)
}

// Reservation is a request's place in the limiter, returned by Reserve
// and Wait. Give it back with Cancel if the request is not sent, and end it
// with Finish when the answer arrives: until then its tokens count as in
// flight. Copies of a Reservation are the same reservation.
type Reservation struct {
	l        *Limiter
	delay    time.Duration
	act      time.Time // when the request may be sent
	req, tok claim
	ended    *bool // set, under l.mu, by Cancel or Finish
}

// Delay returns how long to wait, from the time passed to Reserve, before
// sending the request.
func (r Reservation) Delay() time.Duration { return r.delay }

// Tokens returns how many tokens the reservation took: the estimate passed
// to Reserve, or less for a request larger than the provider allows (see
// Reserve).
func (r Reservation) Tokens() int { return int(math.Ceil(r.tok.n)) }

// Cancel gives the reservation back at now, so that later callers may go
// sooner: the request will not be sent. It does nothing once the
// reservation's time has passed (the request is presumed sent: Finish it),
// or once it has been finished.
func (r Reservation) Cancel(now time.Time) {
	if r.l == nil || r.act.Before(now) {
		return
	}
	l := r.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if *r.ended {
		return
	}
	*r.ended = true
	l.requests.refund(now, r.req)
	l.tokens.refund(now, r.tok)
}

// Answer is what became of a reserved request, for Reservation.Finish.
// The zero Answer is a request that got no answer (a timeout, a dropped
// connection): it is presumed to have spent what it reserved.
type Answer struct {
	// Status is the answer's HTTP status; 0 when none came.
	Status int
	// Tokens is what the answer's usage says the request spent (prompt and
	// completion); 0 when it does not say.
	Tokens int
	// Snapshot is what the answer's rate-limit headers said.
	Snapshot Snapshot
}

// Finish ends the reservation with its answer, received at now:
//
//   - An error answer (status 400 or above: refused, rate-limited, failed)
//     without usage gives every token back: the provider spent none on it.
//     The request itself stays counted, as the provider may count it.
//   - An answer with usage corrects the tokens taken to Tokens: the
//     difference is given back, or taken (up to the provider's Limit).
//   - Snapshot is observed, as by Observe, and the levels are raised to
//     what it reports less what was sent since (see Observe): so a level
//     that estimates left too low is corrected by the next answer.
//
// Finish does nothing on a reservation already finished or cancelled, or
// on the zero Reservation.
func (r Reservation) Finish(now time.Time, a Answer) {
	if r.l == nil {
		return
	}
	l := r.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if *r.ended {
		return
	}
	*r.ended = true
	l.requests.land(r.req)
	switch {
	case a.Tokens > 0:
		l.tokens.correct(now, r.tok, float64(a.Tokens))
	case a.Status >= 400:
		l.tokens.refund(now, r.tok)
	default:
		l.tokens.land(r.tok)
	}
	if a.Status == 0 {
		return
	}
	s := a.Snapshot
	l.observe(now, s)
	// Reports are a floor only while no one else is seen to spend the
	// same quota.
	if l.share < 1 {
		return
	}
	if q := s.Requests; q.HasRemaining {
		l.requests.raise(now, r.req, float64(q.Remaining))
	}
	if q := tokenQuota(s); q.HasRemaining {
		l.tokens.raise(now, r.tok, float64(q.Remaining))
	}
}

// Reserve takes one request and tokens (the request's estimated prompt and
// completion tokens; 0 when unknown) at now, and returns the reservation:
// wait its Delay, then send, then Finish it with the answer. The
// reservation is taken whatever the delay; give it back with Cancel if the
// request will not be sent.
//
// A request larger than the token bucket waits for a full one. One larger
// than the provider's Limit (or, without a learnt limit, than a minute of
// Config.TPM), which the provider refuses, is counted for what the bucket
// holds, never more and never into debt: however many such requests come,
// they hold the others back by one bucket at most, and Finish gives it
// back when the provider refuses them.
func (l *Limiter) Reserve(now time.Time, tokens int) Reservation {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setup(now)
	n := float64(max(tokens, 0))
	d := max(l.requests.wait(now, 1), l.tokens.wait(now, n))
	if l.blocked.After(now) {
		d = max(d, l.blocked.Sub(now))
	}
	// Debit now: a bucket in debt refills towards zero while the caller
	// waits, so the next caller queues behind this one.
	return Reservation{l: l, delay: d, act: now.Add(d), ended: new(bool),
		req: l.requests.take(now, 1, !l.observed),
		tok: l.tokens.take(now, n, !l.observed)}
}

// Wait reserves a request and tokens (see Reserve) and sleeps on clk until
// it may be sent. It returns the reservation, to Finish with the answer,
// and the time it waited. It fails at once, giving the reservation back,
// when ctx is done or its deadline would pass before the wait ends (an
// error matching ErrDeadline; the deadline is compared with the wall
// clock, as contexts keep it); and when ctx ends during the wait, it gives
// the reservation back and returns ctx's error. When a 429 seen by another
// call during the wait holds the limiter longer, Wait waits for that too.
func (l *Limiter) Wait(ctx context.Context, clk clock.Clock, tokens int) (Reservation, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return Reservation{}, 0, err
	}
	start := clk.Now()
	r := l.Reserve(start, tokens)
	d := r.Delay()
	for d > 0 {
		if dl, ok := ctx.Deadline(); ok {
			if left := time.Until(dl); left < d {
				r.Cancel(clk.Now())
				return Reservation{}, clk.Now().Sub(start), &DeadlineError{Delay: d, Left: left}
			}
		}
		if err := clk.Sleep(ctx, d); err != nil {
			r.Cancel(clk.Now())
			return Reservation{}, clk.Now().Sub(start), err
		}
		d = l.blockedFor(clk.Now())
	}
	return r, clk.Now().Sub(start), nil
}

// blockedFor returns how long the limiter is still held at now.
func (l *Limiter) blockedFor(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.blocked.After(now) {
		return l.blocked.Sub(now)
	}
	return 0
}

// Observe takes in the rate-limit state a response reported, received at
// now: the limits (bucket size and rate), and the remaining allowance. Call
// it for every answer, with the zero Snapshot when the answer had no
// rate-limit headers: the limiter also counts answers. The
// token dimension uses the snapshot's Tokens, or its InputTokens when
// Tokens is unknown (Anthropic reports input and output separately; the
// input is what a client can estimate before sending).
func (l *Limiter) Observe(now time.Time, s Snapshot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.observe(now, s)
}

// tokenQuota is the quota the token dimension follows: Tokens, or
// InputTokens when Tokens is unknown.
func tokenQuota(s Snapshot) Quota {
	if !s.Tokens.Known() {
		return s.InputTokens
	}
	return s.Tokens
}

// observe is Observe; l.mu is held.
func (l *Limiter) observe(now time.Time, s Snapshot) {
	tq := tokenQuota(s)
	l.setup(now)
	wasReq, wasTok := l.requests.counting, l.tokens.counting
	l.lastBlind = l.requests.blindOut > 0
	l.requests.observe(now, s.Requests)
	l.tokens.observe(now, tq)
	if wasReq || wasTok {
		l.share = min(1, l.share+l.cfg.Increase)
	}
	l.update(now)
	l.requests.sync(now, s.Requests, !wasReq)
	l.tokens.sync(now, tq, !wasTok)
	l.observed = true
	// A quota without a Limit cannot be paced, but when it is spent its
	// reset still tells everyone how long to hold.
	for _, q := range []struct {
		b *bucket
		q Quota
	}{{&l.requests, s.Requests}, {&l.tokens, tq}} {
		if !q.b.counting && q.q.HasRemaining && q.q.Remaining == 0 && q.q.HasReset {
			if until := now.Add(q.q.Reset); until.After(l.blocked) {
				l.blocked = until
			}
		}
	}
}

// OnRateLimited records a 429 received at now: no request is let through
// before now+retryAfter, and the request bucket is emptied. Pass the wait
// the provider asked for (RetryAfter, or Snapshot.ResetAfter), or, without
// one, the backoff the caller will apply: every other caller then waits
// with it instead of discovering the limit on its own.
func (l *Limiter) OnRateLimited(now time.Time, retryAfter time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setup(now)
	if retryAfter > 0 {
		if until := now.Add(retryAfter); until.After(l.blocked) {
			l.blocked = until
		}
	}
	if l.requests.counting {
		l.requests.settle(now)
		l.requests.level = min(l.requests.level, 0)
	}
	// A 429 the buckets did not foresee (not one for a request sent before
	// anything was known) means someone else spends the quota too.
	if (l.requests.limit > 0 || l.tokens.limit > 0) && !l.lastBlind && l.requests.blindOut == 0 {
		l.share = max(MinShare, l.share-l.cfg.Decrease)
		l.update(now)
	}
	l.lastBlind = false
}

// Adjust corrects the tokens taken for a request once its real usage is
// known: pass estimated − used (positive gives tokens back, negative takes
// more, at most the provider's Limit). Reservation.Finish does this, and
// more, for a reservation; Adjust is for callers that keep none.
func (l *Limiter) Adjust(now time.Time, tokens int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setup(now)
	b := &l.tokens
	if tokens > 0 {
		b.give(now, float64(tokens))
	} else if tokens < 0 && b.counting {
		b.settle(now)
		n := min(float64(-tokens), b.most)
		b.level -= n
		b.spent += n
	}
}

// Status is the limiter's state at one instant, for metrics and dashboards.
type Status struct {
	// RequestsPerMinute and TokensPerMinute are the paced rates; 0 means
	// not limited.
	RequestsPerMinute, TokensPerMinute float64
	// Requests and Tokens are what the buckets hold (negative when calls
	// are queued), and RequestCapacity and TokenCapacity their sizes.
	Requests, Tokens               float64
	RequestCapacity, TokenCapacity float64
	// BlockedUntil is the end of the latest Retry-After, if still ahead.
	BlockedUntil time.Time
}

// Status returns the limiter's state at now.
func (l *Limiter) Status(now time.Time) Status {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setup(now)
	st := Status{
		RequestsPerMinute: l.requests.rate * 60,
		TokensPerMinute:   l.tokens.rate * 60,
		Requests:          l.requests.levelAt(now),
		Tokens:            l.tokens.levelAt(now),
		RequestCapacity:   l.requests.capacity,
		TokenCapacity:     l.tokens.capacity,
	}
	if l.blocked.After(now) {
		st.BlockedUntil = l.blocked
	}
	return st
}

// Owe records requests and tokens sent, or about to be sent, that this
// limiter did not admit — another limiter's, such as a shared limiter's
// queue still going out when the shared state fails — at now: each paced
// bucket is emptied and goes that far into debt, so that the next
// reservations wait as if those had just been taken from an empty bucket.
// The debt is bounded by one DefaultPeriod of a bucket's rate, so that a
// huge count cannot hold the limiter longer than a minute. A bucket that
// paces nothing (nothing configured or learnt) owes nothing.
func (l *Limiter) Owe(now time.Time, requests, tokens int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.setup(now)
	l.requests.owe(now, float64(max(requests, 0)))
	l.tokens.owe(now, float64(max(tokens, 0)))
}
