package fleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/shared"
)

// DefaultStateTTL is the least time the limiter's and breaker's state
// outlives its last write (LimiterConfig.TTL): long enough that the
// learnt limits carry over short pauses, short enough that an idle fleet
// leaves nothing behind.
const DefaultStateTTL = 10 * time.Minute

// Limiter is the fleet-wide counterpart of ratelimit.Limiter: it paces
// the requests and tokens of every process that uses the same Redis and
// account, to the provider's limits.
//
// Each process learns the limits from its own answers as the local limiter
// does (a ratelimit.Limiter inside does the learning: the limits, the
// period from the resets, the share of the limit left to others after
// unforeseen 429s, Config's own limits) and sends them with every call.
// The buckets themselves — levels, tokens in flight, the Retry-After hold —
// are in one Redis hash, and every reservation, correction and report is
// one atomic script: however many processes reserve at once, each one's
// request is debited before the next one's delay is computed, so the fleet
// cannot admit more than the bucket holds.
//
// The semantics are the local limiter's (see ratelimit.Limiter), with
// these differences: a bucket whose state was lost (a Redis restart, an
// expiry) starts empty rather than full when its limit is learnt, and is
// raised by the next answers' Remaining; and the requests of a process that
// has not learnt the limits yet are paced by those others published.
//
// Every method makes one Redis round trip and fails with an
// *UnavailableError when it cannot (see the package documentation); what
// the process learnt from the answers is kept, so that LocalConfig can
// give a local limiter the right share of it. A Limiter is safe for
// concurrent use.
type Limiter struct {
	store *Store
	key   string
	cfg   ratelimit.Config
	ttl   time.Duration
	learn *ratelimit.Limiter

	probes int           // slow start's probes out at once; 0: none
	lease  time.Duration // how long a probe holds its place

	mu        sync.Mutex
	gate      chan struct{} // closed when waiters refused by slow start may ask again
	polling   bool          // one of them asks Redis again; the others wait for gate
	reqLimit  float64       // the provider's Limits last reported; 0: unknown
	tokLimit  float64
	share     float64 // as the learner's: raise only while it is 1
	fleetRPM  float64 // the rates the fleet's buckets were paced to, at the latest reservation
	fleetTPM  float64
	lowered   time.Time // when a 429 last lowered share
	lastBlind bool      // the latest answer was to a blind request
	blindOut  int       // this process's blind requests not yet finished
	// held are this process's reservations not yet finished or cancelled,
	// by their ended flag: when each may be sent and the tokens it took
	// (Queued).
	held map[*atomic.Bool]heldClaim
}

// heldClaim is what Queued needs of a reservation held.
type heldClaim struct {
	act    time.Time
	tokens float64
}

// LimiterConfig configures a Limiter.
type LimiterConfig struct {
	// Config is the local limiter's configuration: the client's own limits,
	// headroom, adaptation.
	ratelimit.Config
	// TTL is the least time the state outlives its last write; the time a
	// bucket takes to refill, or a hold to end, is added. Default
	// DefaultStateTTL.
	TTL time.Duration
}

// Limiter returns the shared limiter of account a, or an error matching
// ratelimit.ErrInvalidConfig or ErrConfig.
func (s *Store) Limiter(a Account, c LimiterConfig) (*Limiter, error) {
	learn, err := ratelimit.New(c.Config)
	if err != nil {
		return nil, err
	}
	if c.TTL < 0 {
		return nil, fmt.Errorf("%w: negative limiter TTL %s", ErrConfig, c.TTL)
	}
	if c.TTL == 0 {
		c.TTL = DefaultStateTTL
	}
	l := &Limiter{store: s, key: a.key("limiter"), cfg: c.Config, ttl: c.TTL, learn: learn, share: 1,
		probes: s.cfg.SlowStart, lease: s.cfg.ProbeLease}
	if l.cfg.Decrease == 0 {
		l.cfg.Decrease = ratelimit.DefaultDecrease
	}
	if l.cfg.Increase == 0 {
		l.cfg.Increase = ratelimit.DefaultIncrease
	}
	return l, nil
}

// Key returns the Redis key of the limiter's state.
func (l *Limiter) Key() string { return l.key }

// head returns the arguments every limiter script starts with: the time,
// the least TTL, the parameters of both buckets, as learnt at now, and an
// epoch for a new hash.
// l.mu is held.
func (l *Limiter) head(now time.Time) []any {
	st := l.learn.Status(now)
	dim := func(perMinute, capacity, limit float64, own int) []any {
		rate := perMinute / 60
		if rate <= 0 {
			return []any{0, 0, 0, 0}
		}
		// As the local limiter: one request counts for at most the
		// provider's Limit, or without one a minute of the own limit.
		most, init := limit, 0.0
		if limit <= 0 {
			most, init = max(capacity, float64(own)), capacity
		}
		return []any{rate, capacity, most, init}
	}
	args := []any{micros(now), l.ttl.Milliseconds()}
	args = append(args, dim(st.RequestsPerMinute, st.RequestCapacity, l.reqLimit, l.cfg.RPM)...)
	args = append(args, dim(st.TokensPerMinute, st.TokenCapacity, l.tokLimit, l.cfg.TPM)...)
	return append(args, newEpoch())
}

// learnFrom feeds a report to the learner. l.mu is held.
func (l *Limiter) learnFrom(now time.Time, s ratelimit.Snapshot) {
	l.learn.Observe(now, s)
	if q := s.Requests; q.HasLimit && q.Limit > 0 {
		l.reqLimit = float64(q.Limit)
	}
	if q := tokenQuota(s); q.HasLimit && q.Limit > 0 {
		l.tokLimit = float64(q.Limit)
	}
	l.share = min(1, l.share+l.cfg.Increase)
}

// reportArgs returns the remaining requests and tokens s reports (-1:
// unknown) and the end of a hold for a spent quota that is not paced
// (0: none), as the local limiter holds for one. l.mu is held.
func (l *Limiter) reportArgs(now time.Time, s ratelimit.Snapshot) []any {
	rem := func(q ratelimit.Quota) int {
		if q.HasRemaining {
			return q.Remaining
		}
		return -1
	}
	st := l.learn.Status(now)
	var until int64
	for _, q := range []struct {
		paced bool
		q     ratelimit.Quota
	}{{st.RequestsPerMinute > 0, s.Requests}, {st.TokensPerMinute > 0, tokenQuota(s)}} {
		if !q.paced && q.q.HasRemaining && q.q.Remaining == 0 && q.q.HasReset {
			until = max(until, micros(now.Add(q.q.Reset)))
		}
	}
	return []any{rem(s.Requests), rem(tokenQuota(s)), until}
}

// tokenQuota is the quota the token bucket follows, as the local
// limiter's: Tokens, or InputTokens when Tokens is unknown.
func tokenQuota(s ratelimit.Snapshot) ratelimit.Quota {
	if !s.Tokens.Known() {
		return s.InputTokens
	}
	return s.Tokens
}

// claim is what a reservation took from one bucket, as the script
// returned it.
type claim struct {
	n           float64
	blind       bool
	ahead, mark float64
}

func (c claim) args() []any {
	b := 0
	if c.blind {
		b = 1
	}
	return []any{c.n, b, c.ahead, c.mark}
}

// Reservation is a request's place in the shared limiter, returned by
// Reserve and Wait: wait its Delay, send, then Finish it with the answer,
// or Cancel it if the request is not sent. Copies of a Reservation are the
// same reservation; the zero Reservation's methods do nothing.
type Reservation struct {
	l        *Limiter
	delay    time.Duration
	act      time.Time
	ep       string
	req, tok claim
	probe    bool // a probe of slow start
	ended    *atomic.Bool
	unblind  *atomic.Bool // set once a blind reservation has left blindOut
}

// Delay returns how long to wait, from the time passed to Reserve, before
// sending the request.
func (r Reservation) Delay() time.Duration { return r.delay }

// Tokens returns how many tokens the reservation took: the estimate, or
// less for a request larger than the provider allows.
func (r Reservation) Tokens() int { return int(math.Ceil(r.tok.n)) }

// Reserve takes one request and tokens (the request's estimated prompt and
// completion tokens) from the shared buckets at now, and returns the
// reservation, as ratelimit.Limiter.Reserve does: the delay accounts for
// every reservation of the fleet made before it, and for a Retry-After
// hold. A request larger than the provider's Limit is counted for what the
// bucket holds, never more and never into debt.
//
// During slow start — while no limit is known, from the Config or the
// answers, and no answer has come back — the fleet sends at most
// Config.SlowStart requests (the probes, whose answers teach the limits):
// a Reserve beyond them takes nothing and returns a *SlowStartError
// (matching ErrSlowStart) saying when the probes' places lapse. Wait
// handles it.
func (l *Limiter) Reserve(ctx context.Context, now time.Time, tokens int) (Reservation, error) {
	l.mu.Lock()
	args := append(l.head(now), max(tokens, 0), max(l.probes, 0), l.lease.Microseconds())
	l.mu.Unlock()
	out, err := l.store.run(ctx, "limiter.reserve", limiterReserve, l.key, args...)
	if err != nil {
		return Reservation{}, err
	}
	rp := reply{v: out}
	if len(out) == 3 && rp.string(2) == "probing" {
		lapse := microsToDuration(rp.float(0))
		if rp.err != nil {
			return Reservation{}, l.store.broken("limiter.reserve", rp.err)
		}
		return Reservation{}, &SlowStartError{Lapse: lapse}
	}
	delay := microsToDuration(rp.float(0))
	r := Reservation{l: l, delay: delay, act: now.Add(delay), ep: rp.string(1), ended: new(atomic.Bool),
		req:   claim{n: rp.float(2), blind: rp.int(3) == 1, ahead: rp.float(4), mark: rp.float(5)},
		tok:   claim{n: rp.float(6), blind: rp.int(7) == 1, ahead: rp.float(8), mark: rp.float(9)},
		probe: rp.int(10) == 1}
	if rp.err != nil {
		return Reservation{}, l.store.broken("limiter.reserve", rp.err)
	}
	fleetRPM, fleetTPM := rp.float(11)*60, rp.float(12)*60
	if rp.err != nil {
		return Reservation{}, l.store.broken("limiter.reserve", rp.err)
	}
	l.mu.Lock()
	l.fleetRPM, l.fleetTPM = fleetRPM, fleetTPM
	if r.req.blind {
		r.unblind = new(atomic.Bool)
		l.blindOut++
	}
	if l.held == nil {
		l.held = map[*atomic.Bool]heldClaim{}
	}
	l.held[r.ended] = heldClaim{act: r.act, tokens: r.tok.n}
	l.mu.Unlock()
	return r, nil
}

// Queued returns how many of this process's reservations, and the tokens
// they took, are still queued at now: neither finished nor cancelled, and
// not yet due (one whose time has passed is presumed sent). When Redis
// fails, those requests still go out at the times the shared limiter gave
// them; the local limiter that takes over owes them
// (ratelimit.Limiter.Owe), so that the process does not send them on top
// of its local share.
func (l *Limiter) Queued(now time.Time) (requests, tokens int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var tok float64
	for _, h := range l.held {
		if h.act.After(now) {
			requests++
			tok += h.tokens
		}
	}
	return requests, int(math.Ceil(tok))
}

// release forgets the reservation in held: it is finished, cancelled, or
// given up. l.mu is held.
func (r Reservation) release() {
	delete(r.l.held, r.ended)
}

// ErrSlowStart is matched by the error of a Reserve refused by slow start.
var ErrSlowStart = errors.New("fleet: the provider's limits are not known yet, and the fleet's probes are out")

// SlowStartError is the error of a Reserve refused by slow start: nothing
// was taken; ask again once a probe's answer has come back (the limits are
// then known), or after Lapse, when the probes' places lapse. It matches
// ErrSlowStart.
type SlowStartError struct {
	// Lapse is how long, from the time passed to Reserve, the probes out
	// keep their places.
	Lapse time.Duration
}

func (e *SlowStartError) Error() string {
	return fmt.Sprintf("%v (their places lapse in %s)", ErrSlowStart, e.Lapse)
}

// Is reports whether target is ErrSlowStart.
func (e *SlowStartError) Is(target error) bool { return target == ErrSlowStart }

// Slow start's polling: a waiter refused by slow start asks Redis again
// after firstPoll, then twice as long each time, up to maxPoll (and never
// after the probes' places lapse); one waiter per process asks, the others
// wait for its answer or for this process's probe to come back.
const (
	firstPoll = 10 * time.Millisecond
	maxPoll   = 200 * time.Millisecond
)

// Wait reserves a request and tokens (see Reserve) and sleeps on clk until
// it may be sent, as ratelimit.Limiter.Wait does: it returns the
// reservation and the time it waited; it fails at once, giving the
// reservation back, when ctx is done or its deadline would pass first (a
// *ratelimit.DeadlineError, matching ratelimit.ErrDeadline); and when a
// 429 seen anywhere in the fleet holds the limiter longer during the wait,
// it waits for that too. An *UnavailableError means Redis could not
// reserve: nothing was taken.
func (l *Limiter) Wait(ctx context.Context, clk clock.Clock, tokens int) (Reservation, time.Duration, error) {
	if err := ctx.Err(); err != nil {
		return Reservation{}, 0, err
	}
	start := clk.Now()
	poll := firstPoll
	var r Reservation
	for {
		var err error
		r, err = l.Reserve(ctx, clk.Now(), tokens)
		var sse *SlowStartError
		if !errors.As(err, &sse) {
			// Known limits, a probe's place, or a failure: the other
			// waiters may ask again.
			l.openGate()
			if err != nil {
				return Reservation{}, clk.Now().Sub(start), err
			}
			break
		}
		if err := l.awaitProbes(ctx, clk, min(poll, sse.Lapse)); err != nil {
			l.openGate()
			return Reservation{}, clk.Now().Sub(start), err
		}
		poll = min(2*poll, maxPoll)
	}
	d := r.Delay()
	for d > 0 {
		if dl, ok := ctx.Deadline(); ok {
			if left := time.Until(dl); left < d {
				r.Cancel(context.WithoutCancel(ctx), clk.Now())
				return Reservation{}, clk.Now().Sub(start), &ratelimit.DeadlineError{Delay: d, Left: left}
			}
		}
		if err := clk.Sleep(ctx, d); err != nil {
			r.Cancel(context.WithoutCancel(ctx), clk.Now())
			return Reservation{}, clk.Now().Sub(start), err
		}
		d = l.heldFor(ctx, clk.Now())
	}
	return r, clk.Now().Sub(start), nil
}

// awaitProbes waits, for a caller refused by slow start, until it should
// ask again: the first such waiter of the process sleeps d on clk (cut
// short when the gate opens) and asks again; the others wait for the gate
// to open — when a waiter gets an answer other than slow start's, or a
// probe of this process comes back.
func (l *Limiter) awaitProbes(ctx context.Context, clk clock.Clock, d time.Duration) error {
	l.mu.Lock()
	if l.gate == nil {
		l.gate = make(chan struct{})
	}
	gate, poller := l.gate, !l.polling
	if poller {
		l.polling = true
	}
	l.mu.Unlock()
	if !poller {
		select {
		case <-gate:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() {
		l.mu.Lock()
		l.polling = false
		l.mu.Unlock()
	}()
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-gate:
			cancel()
		case <-sctx.Done():
		}
	}()
	if err := clk.Sleep(sctx, d); err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}

// openGate lets the waiters refused by slow start ask again.
func (l *Limiter) openGate() {
	l.mu.Lock()
	if l.gate != nil {
		close(l.gate)
		l.gate = nil
	}
	l.mu.Unlock()
}

// heldFor returns how long the fleet is still held at now; 0 when Redis
// does not say (the caller has waited its own delay).
func (l *Limiter) heldFor(ctx context.Context, now time.Time) time.Duration {
	var hold float64
	err := l.store.do(ctx, "limiter.hold", func(ctx context.Context) error {
		v, err := l.store.rdb.HGet(ctx, l.key, "hold").Float64()
		if err != nil && !isNil(err) {
			return err
		}
		hold = v
		return nil
	})
	if err != nil {
		return 0
	}
	return max(0, fromMicros(hold).Sub(now))
}

// Cancel gives the reservation back at now, so that later callers in the
// fleet may go sooner: the request will not be sent. It does nothing once
// the reservation's time has passed (the request is presumed sent: Finish
// it), once it has been finished, or for a reservation from before the
// shared state was lost. A probe of slow start whose time has passed is
// finished as a request that got no answer, so that its place is freed.
func (r Reservation) Cancel(ctx context.Context, now time.Time) error {
	if r.l == nil {
		return nil
	}
	r.l.mu.Lock()
	r.leaveBlind()
	r.release()
	r.l.mu.Unlock()
	if r.act.Before(now) {
		if r.probe {
			// Presumed sent, and no answer will come: a probe's place is
			// freed as by a request that got none.
			return r.Finish(ctx, now, ratelimit.Answer{})
		}
		return nil
	}
	if !r.ended.CompareAndSwap(false, true) {
		return nil
	}
	l := r.l
	l.mu.Lock()
	args := append(l.head(now), r.ep)
	l.mu.Unlock()
	args = append(append(args, r.req.args()...), r.tok.args()...)
	args = append(args, flag(r.probe))
	_, err := l.store.run(ctx, "limiter.cancel", limiterCancel, l.key, args...)
	if r.probe {
		l.openGate()
	}
	return err
}

// flag is a boolean as the scripts read it.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}

// leaveBlind takes a blind reservation out of blindOut, once. l.mu is
// held.
func (r Reservation) leaveBlind() {
	if r.unblind != nil && r.unblind.CompareAndSwap(false, true) {
		r.l.blindOut--
	}
}

// Finish ends the reservation with its answer, received at now, as
// ratelimit.Reservation.Finish does: an error answer without usage gives
// the tokens back, usage corrects them, and the answer's rate-limit
// headers are learnt and lower the shared levels to what they report (or
// raise them to what they imply). Finish does nothing on a reservation
// already finished or cancelled; the correction of one from before the
// shared state was lost is ignored. With an *UnavailableError, what the
// answer taught is still learnt (for LocalConfig).
func (r Reservation) Finish(ctx context.Context, now time.Time, a ratelimit.Answer) error {
	if r.l == nil || !r.ended.CompareAndSwap(false, true) {
		return nil
	}
	l := r.l
	l.mu.Lock()
	if a.Status != 0 {
		l.learnFrom(now, a.Snapshot)
		l.lastBlind = r.req.blind
	}
	r.leaveBlind()
	r.release()
	args := append(l.head(now), r.ep)
	args = append(append(args, r.req.args()...), r.tok.args()...)
	args = append(args, a.Status, max(a.Tokens, 0))
	rep := l.reportArgs(now, a.Snapshot)
	if a.Status == 0 {
		rep = []any{-1, -1, 0}
	}
	raise := flag(l.share >= 1)
	args = append(args, rep[0], rep[1], raise, rep[2], flag(r.probe))
	l.mu.Unlock()
	_, err := l.store.run(ctx, "limiter.finish", limiterFinish, l.key, args...)
	if r.probe {
		// What the probe's answer taught is in Redis: the waiters of
		// slow start may ask again.
		l.openGate()
	}
	return err
}

// Observe takes in the rate-limit state an answer reported at now, for an
// answer without a reservation (see ratelimit.Limiter.Observe): it is
// learnt, and the shared levels go down to what it reports.
func (l *Limiter) Observe(ctx context.Context, now time.Time, s ratelimit.Snapshot) error {
	l.mu.Lock()
	l.learnFrom(now, s)
	args := append(l.head(now), l.reportArgs(now, s)...)
	l.mu.Unlock()
	_, err := l.store.run(ctx, "limiter.observe", limiterObserve, l.key, args...)
	return err
}

// OnRateLimited records a 429 received at now, for the whole fleet: no
// process sends a request before now+retryAfter, and the request bucket is
// emptied. As in the local limiter, a 429 that the buckets did not foresee
// lowers the share of the learnt limits this process publishes.
// Reservation.OnRateLimited, for a 429 to a reserved request, lowers it
// once per burst of 429s.
func (l *Limiter) OnRateLimited(ctx context.Context, now time.Time, retryAfter time.Duration) error {
	return l.rateLimited(ctx, now, retryAfter, time.Time{})
}

// OnRateLimited records the 429 the reserved request got at now, as
// Limiter.OnRateLimited does, except that it lowers the share this process
// publishes only when the request was sent after the share was last
// lowered: the requests already out when a 429 came are answered 429 for
// the same reason, and one cause lowers the share once, not once per
// request in flight (32 in flight would take a share of 1 to 0.36, and the
// fleet's rate with it).
func (r Reservation) OnRateLimited(ctx context.Context, now time.Time, retryAfter time.Duration) error {
	if r.l == nil {
		return nil
	}
	return r.l.rateLimited(ctx, now, retryAfter, r.act)
}

// rateLimited is OnRateLimited for a request sent at sent (zero: unknown).
func (l *Limiter) rateLimited(ctx context.Context, now time.Time, retryAfter time.Duration, sent time.Time) error {
	l.mu.Lock()
	// As the local limiter: a 429 counts as unforeseen only when no
	// request sent before anything was known is still out (their 429s,
	// answered in any order, are the limit being discovered).
	unforeseen := !l.lastBlind && l.blindOut == 0 && (l.reqLimit > 0 || l.tokLimit > 0)
	if unforeseen && (sent.IsZero() || sent.After(l.lowered)) {
		l.learn.OnRateLimited(now, 0)
		l.share = max(ratelimit.MinShare, l.share-l.cfg.Decrease)
		l.lowered = now
	}
	l.lastBlind = false
	var until int64
	if retryAfter > 0 {
		until = micros(now.Add(retryAfter))
	}
	args := append(l.head(now), until)
	l.mu.Unlock()
	_, err := l.store.run(ctx, "limiter.ratelimited", limiterRateLimited, l.key, args...)
	return err
}

// Adjust corrects the tokens taken for a request once its real usage is
// known, for callers that keep no reservation: pass estimated − used.
func (l *Limiter) Adjust(ctx context.Context, now time.Time, tokens int) error {
	l.mu.Lock()
	args := append(l.head(now), tokens)
	l.mu.Unlock()
	_, err := l.store.run(ctx, "limiter.adjust", limiterAdjust, l.key, args...)
	return err
}

// Repay hands the shared buckets, at now, what this process did without
// them during an outage (o): the requests and tokens it sent paced by its
// local limiter lower the levels, but not below empty — the provider's
// bucket refused rather than going into debt, so they can at most have
// emptied it, and at most a full bucket is repaid — and those it still has
// queued locally, which will be sent, put the buckets in debt (at most a
// minute of their rates). Call it once Redis answers again, so that the
// fleet does not burst into a bucket the outage's requests emptied, nor
// send its shared pace on top of the local queues still draining.
func (l *Limiter) Repay(ctx context.Context, now time.Time, o shared.Outage) error {
	if o == (shared.Outage{}) {
		return nil
	}
	l.mu.Lock()
	args := append(l.head(now), max(o.SentRequests, 0), max(o.SentTokens, 0), max(o.QueuedRequests, 0), max(o.QueuedTokens, 0))
	l.mu.Unlock()
	_, err := l.store.run(ctx, "limiter.repay", limiterRepay, l.key, args...)
	return err
}

// Status returns the shared limiter's state at now: the paced rates and
// bucket sizes last published, the levels, the hold.
func (l *Limiter) Status(ctx context.Context, now time.Time) (ratelimit.Status, error) {
	var h map[string]string
	err := l.store.do(ctx, "limiter.status", func(ctx context.Context) error {
		var err error
		h, err = l.store.rdb.HGetAll(ctx, l.key).Result()
		return err
	})
	if err != nil {
		return ratelimit.Status{}, err
	}
	f := func(k string) float64 { return parseFloat(h[k]) }
	level := func(p string) float64 {
		if _, ok := h[p+"lvl"]; !ok {
			return 0
		}
		lv := f(p + "lvl")
		if d := float64(micros(now)) - f(p+"at"); d > 0 {
			lv += d / 1e6 * f(p+"rate")
		}
		return min(lv, f(p+"cap"))
	}
	st := ratelimit.Status{
		RequestsPerMinute: f("rrate") * 60, TokensPerMinute: f("trate") * 60,
		Requests: level("r"), Tokens: level("t"),
		RequestCapacity: f("rcap"), TokenCapacity: f("tcap"),
	}
	if hold := fromMicros(f("hold")); hold.After(now) {
		st.BlockedUntil = hold
	}
	return st, nil
}

// LocalConfig returns the configuration for the local limiter this process
// falls back to while Redis is unavailable, at now, when alive processes
// share the account (Registry.LastAlive): the limits learnt so far divided
// by alive, so that N processes on their own still send about the limit in
// all rather than N times it. A limit this process has not learnt from its
// own answers is the rate the fleet's bucket was paced to at its latest
// reservation (what the others learnt). With alive ≤ 1, or nothing known,
// it is the Limiter's own configuration. The local limiter then learns the
// provider's full limits from the answers, and the lower rate wins.
func (l *Limiter) LocalConfig(now time.Time, alive int) ratelimit.Config {
	c := l.cfg
	if alive <= 1 {
		return c
	}
	st := l.learn.Status(now)
	l.mu.Lock()
	fleetRPM, fleetTPM := l.fleetRPM, l.fleetTPM
	l.mu.Unlock()
	share := func(perMinute, fleet float64, own int) int {
		if perMinute <= 0 {
			perMinute = fleet
		}
		if perMinute <= 0 {
			return own
		}
		return max(1, int(math.Floor(perMinute/float64(alive))))
	}
	c.RPM = share(st.RequestsPerMinute, fleetRPM, c.RPM)
	c.TPM = share(st.TokensPerMinute, fleetTPM, c.TPM)
	return c
}
