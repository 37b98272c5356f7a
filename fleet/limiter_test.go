package fleet

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/shared"
)

// snap is a report of a provider with a bucket of 60 requests and 10,000
// tokens per minute.
func snap(reqLeft, tokLeft int) ratelimit.Snapshot {
	return ratelimit.Snapshot{
		Requests: ratelimit.Quota{Limit: 60, Remaining: reqLeft, HasLimit: true, HasRemaining: true},
		Tokens:   ratelimit.Quota{Limit: 10000, Remaining: tokLeft, HasLimit: true, HasRemaining: true},
	}
}

func newLimiter(t *testing.T, p *process, c ratelimit.Config) *Limiter {
	t.Helper()
	l, err := p.Limiter(acct, LimiterConfig{Config: c})
	must(t, err)
	return l
}

// Two processes reserving at once from one shared bucket never admit more
// than it holds: with 5 requests left of a bucket that refills one a
// second, 20 concurrent reservations get 5 immediate places and then one
// second apart each, whichever process made them.
func TestLimiterTwoProcessesNeverOverAdmit(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newLimiter(t, join(t, srv), ratelimit.Config{}), newLimiter(t, join(t, srv), ratelimit.Config{})
	must(t, a.Observe(ctx(t), t0, snap(5, 10000))) // only a has learnt the limits
	var (
		mu     sync.Mutex
		delays []time.Duration
		wg     sync.WaitGroup
	)
	for i := range 20 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			r, err := l.Reserve(ctx(t), t0, 0)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			delays = append(delays, r.Delay())
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(delays)
	var want []time.Duration
	for i := range 20 {
		want = append(want, time.Duration(max(0, i-4))*time.Second)
	}
	if !slices.Equal(delays, want) {
		t.Errorf("delays %v\nwant   %v", delays, want)
	}
}

// The tokens a reservation takes are corrected by its answer, as the local
// limiter corrects them, and the corrected level is what the other process
// sees.
func TestLimiterCorrections(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newLimiter(t, join(t, srv), ratelimit.Config{}), newLimiter(t, join(t, srv), ratelimit.Config{})
	must(t, a.Observe(ctx(t), t0, snap(60, 10000)))
	for _, tt := range []struct {
		name   string
		finish func(r Reservation) error
		want   float64 // tokens left
	}{
		{"usage below the estimate gives back", func(r Reservation) error {
			return r.Finish(ctx(t), t0, ratelimit.Answer{Status: 200, Tokens: 400})
		}, 9600},
		{"usage above the estimate takes more", func(r Reservation) error {
			return r.Finish(ctx(t), t0, ratelimit.Answer{Status: 200, Tokens: 1500})
		}, 8500},
		{"an error without usage gives all back", func(r Reservation) error {
			return r.Finish(ctx(t), t0, ratelimit.Answer{Status: 429})
		}, 10000},
		{"an error with usage is corrected", func(r Reservation) error {
			return r.Finish(ctx(t), t0, ratelimit.Answer{Status: 500, Tokens: 300})
		}, 9700},
		{"no answer: presumed spent", func(r Reservation) error {
			return r.Finish(ctx(t), t0, ratelimit.Answer{})
		}, 9000},
		{"cancelled before it is due", func(r Reservation) error {
			return r.Cancel(ctx(t), t0)
		}, 10000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Back to a full bucket.
			must(t, a.Adjust(ctx(t), t0, 1_000_000))
			r, err := a.Reserve(ctx(t), t0, 1000)
			must(t, err)
			if r.Tokens() != 1000 || r.Delay() != 0 {
				t.Fatalf("reserved %d tokens after %s", r.Tokens(), r.Delay())
			}
			must(t, tt.finish(r))
			must(t, tt.finish(r)) // a second end does nothing
			st, err := b.Status(ctx(t), t0)
			must(t, err)
			if st.Tokens != tt.want {
				t.Errorf("tokens left %v, want %v", st.Tokens, tt.want)
			}
		})
	}
}

// A request estimated larger than the provider's Limit (which the
// provider refuses) is counted for what the bucket holds, never more and
// never into debt (issue 12, item 1): others are held back by one bucket
// at most, and the refusal gives it back.
func TestLimiterOversizedEstimate(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newLimiter(t, join(t, srv), ratelimit.Config{}), newLimiter(t, join(t, srv), ratelimit.Config{})
	must(t, a.Observe(ctx(t), t0, snap(60, 3000)))
	big, err := a.Reserve(ctx(t), t0, 50_000)
	must(t, err)
	// It waits for a full bucket (7,000 more tokens at 10,000 a minute)
	// and takes what the bucket holds.
	if big.Tokens() != 3000 || big.Delay() != 42*time.Second {
		t.Fatalf("an oversized request took %d tokens after %s, want 3000 after 42s", big.Tokens(), big.Delay())
	}
	again, err := b.Reserve(ctx(t), t0, 50_000)
	must(t, err)
	// The next one waits for a full bucket again (a minute) but takes
	// nothing from an empty one.
	if again.Tokens() != 0 || again.Delay() != time.Minute {
		t.Fatalf("a second oversized request took %d tokens after %s, want 0 after 1m", again.Tokens(), again.Delay())
	}
	st, err := a.Status(ctx(t), t0)
	must(t, err)
	if st.Tokens != 0 {
		t.Fatalf("level %v after two oversized requests, want 0 (no debt)", st.Tokens)
	}
	must(t, big.Finish(ctx(t), t0, ratelimit.Answer{Status: 429}))
	st, _ = a.Status(ctx(t), t0)
	if st.Tokens != 3000 {
		t.Errorf("level %v after the refusal, want 3000 back", st.Tokens)
	}
}

// One 429 with a Retry-After holds the whole fleet: the other process's
// next reservation waits for it, and its Wait sleeps it out, including a
// hold that another process extends during the wait.
func TestLimiterRetryAfterHoldsTheFleet(t *testing.T) {
	srv := redistest.Start(t)
	pa, pb := join(t, srv), join(t, srv)
	a, b := newLimiter(t, pa, ratelimit.Config{}), newLimiter(t, pb, ratelimit.Config{})
	must(t, a.Observe(ctx(t), t0, snap(60, 10000)))
	must(t, a.OnRateLimited(ctx(t), t0, 30*time.Second))
	r, err := b.Reserve(ctx(t), t0.Add(10*time.Second), 0)
	must(t, err)
	if r.Delay() != 20*time.Second {
		t.Errorf("the other process waits %s, want the 20s left of the hold", r.Delay())
	}
	st, err := b.Status(ctx(t), t0)
	must(t, err)
	if !st.BlockedUntil.Equal(t0.Add(30 * time.Second)) {
		t.Errorf("BlockedUntil %v", st.BlockedUntil)
	}

	// Wait: while b sleeps, a sees another 429 that holds 15s longer.
	clk := &hookClock{Fake: clock.NewFake(t0.Add(20 * time.Second))}
	clk.onSleep = func(now time.Time) {
		clk.onSleep = nil
		must(t, a.OnRateLimited(ctx(t), now, 15*time.Second))
	}
	_, waited, err := b.Wait(ctx(t), clk, 0)
	must(t, err)
	// The hold (10s left) and the emptied bucket (the 10s delay is
	// within it): 10s, then the new hold's 15s.
	if got := clk.Sleeps(); !slices.Equal(got, []time.Duration{10 * time.Second, 15 * time.Second}) || waited != 25*time.Second {
		t.Errorf("slept %v (waited %s), want [10s 15s]", got, waited)
	}
}

// hookClock is a fake clock that calls onSleep before each sleep.
type hookClock struct {
	*clock.Fake
	onSleep func(now time.Time)
}

func (c *hookClock) Sleep(cx context.Context, d time.Duration) error {
	if c.onSleep != nil {
		c.onSleep(c.Now().Add(d))
	}
	return c.Fake.Sleep(cx, d)
}

// Wait gives the reservation back and fails at once when the context's
// deadline would pass before the wait ends.
func TestLimiterWaitDeadline(t *testing.T) {
	srv := redistest.Start(t)
	a := newLimiter(t, join(t, srv), ratelimit.Config{})
	must(t, a.Observe(ctx(t), t0, snap(60, 10000)))
	must(t, a.OnRateLimited(ctx(t), t0, time.Hour))
	c, cancel := contextWithDeadline(t, time.Minute)
	defer cancel()
	_, _, err := a.Wait(c, clock.NewFake(t0), 0)
	var de *ratelimit.DeadlineError
	if !errors.Is(err, ratelimit.ErrDeadline) || !errors.As(err, &de) || de.Delay != time.Hour {
		t.Fatalf("Wait: %v, want a DeadlineError for 1h", err)
	}
	st, _ := a.Status(ctx(t), t0)
	if st.Requests != 0 {
		t.Errorf("requests left %v: the reservation was not given back", st.Requests)
	}
}

// The answers' Remaining raise a level that the estimates left too low,
// from any process: the provider had that much left after counting the
// request, less what was in flight ahead of it and sent after it.
func TestLimiterRaise(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newLimiter(t, join(t, srv), ratelimit.Config{}), newLimiter(t, join(t, srv), ratelimit.Config{})
	must(t, a.Observe(ctx(t), t0, snap(10, 10000)))
	ra, err := a.Reserve(ctx(t), t0, 0) // 9 left
	must(t, err)
	rb, err := b.Reserve(ctx(t), t0, 0) // 8 left, sent after ra
	must(t, err)
	// A report that says 30 were left after ra: rb may have been counted
	// since, so 29.
	must(t, ra.Finish(ctx(t), t0, ratelimit.Answer{Status: 200, Snapshot: snap(30, 10000)}))
	st, _ := b.Status(ctx(t), t0)
	if st.Requests != 29 {
		t.Errorf("requests left %v, want 29", st.Requests)
	}
	// A lower report lowers it.
	must(t, rb.Finish(ctx(t), t0, ratelimit.Answer{Status: 200, Snapshot: snap(20, 10000)}))
	st, _ = b.Status(ctx(t), t0)
	if st.Requests != 20 {
		t.Errorf("requests left %v, want 20", st.Requests)
	}
}

// A Redis restart loses the buckets: the reservations made before are
// recognised by their epoch and their corrections ignored; a process that
// has learnt the limits starts the new bucket empty (the provider's level
// is unknown) and the next answer rebuilds it.
func TestLimiterRedisRestart(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv)
	a := newLimiter(t, p, ratelimit.Config{})
	must(t, a.Observe(ctx(t), t0, snap(60, 10000)))
	old, err := a.Reserve(ctx(t), t0, 5000)
	must(t, err)

	srv.Restart()
	now := t0
	// The pool's connections may have died with the server: then the
	// first call fails, and after the recheck interval calls reach the
	// new server.
	if _, err := a.Status(ctx(t), now); err != nil {
		p.clk.Advance(DefaultRecheck)
		now = now.Add(DefaultRecheck)
	}
	must(t, old.Finish(ctx(t), now, ratelimit.Answer{Status: 429})) // stale: no refund
	st, err := a.Status(ctx(t), now)
	must(t, err)
	if st.Tokens != 0 || st.Requests != 0 {
		t.Errorf("after the restart and a stale refund: %v requests, %v tokens; want 0 and 0", st.Requests, st.Tokens)
	}
	r, err := a.Reserve(ctx(t), now, 0)
	must(t, err)
	if r.Delay() != time.Second {
		t.Errorf("the first request after a restart waits %s; want 1s (the bucket starts empty)", r.Delay())
	}
	must(t, r.Finish(ctx(t), now, ratelimit.Answer{Status: 200, Snapshot: snap(50, 9000)}))
	st, _ = a.Status(ctx(t), now)
	if st.Requests != 50 || st.Tokens != 9000 {
		t.Errorf("after an answer: %v requests, %v tokens; want the reported 50 and 9000", st.Requests, st.Tokens)
	}
}

// LocalConfig gives a process falling back to its local limiter its share
// of the learnt limits.
func TestLimiterLocalConfig(t *testing.T) {
	srv := redistest.Start(t)
	a := newLimiter(t, join(t, srv), ratelimit.Config{Headroom: 0.1})
	if c := a.LocalConfig(t0, 4); c.RPM != 0 || c.TPM != 0 || c.Headroom != 0.1 {
		t.Errorf("before anything is learnt: %+v", c)
	}
	must(t, a.Observe(ctx(t), t0, snap(60, 10000)))
	for _, tt := range []struct {
		alive    int
		rpm, tpm int
	}{{1, 0, 0}, {2, 27, 4500}, {4, 13, 2250}, {100, 1, 90}} {
		c := a.LocalConfig(t0, tt.alive)
		if c.RPM != tt.rpm || c.TPM != tt.tpm {
			t.Errorf("LocalConfig(%d) = RPM %d, TPM %d; want %d, %d", tt.alive, c.RPM, c.TPM, tt.rpm, tt.tpm)
		}
	}
}

// The shared limiter makes the local limiter's decisions: the same
// reservations, answers, cancellations, 429s and reports, at the same
// instants, give the same delays, tokens and levels.
func TestLimiterMatchesLocal(t *testing.T) {
	srv := redistest.Start(t)
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			cfg := ratelimit.Config{}
			if seed%2 == 1 {
				cfg = ratelimit.Config{RPM: 40, TPM: 8000}
			}
			local, err := ratelimit.New(cfg)
			must(t, err)
			shared, err := join(t, srv).Limiter(Account{Model: fmt.Sprint("m", seed)}, LimiterConfig{Config: cfg})
			must(t, err)
			rng := rand.New(rand.NewPCG(seed, 7))
			now := t0
			type pair struct {
				l ratelimit.Reservation
				s Reservation
			}
			var open []pair
			check := func(step string) {
				t.Helper()
				ls := local.Status(now)
				ss, err := shared.Status(ctx(t), now)
				must(t, err)
				near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*max(1, math.Abs(a)) }
				if !near(ls.Requests, ss.Requests) || !near(ls.Tokens, ss.Tokens) ||
					!near(ls.RequestsPerMinute, ss.RequestsPerMinute) || !near(ls.TokensPerMinute, ss.TokensPerMinute) ||
					!ls.BlockedUntil.Equal(ss.BlockedUntil) {
					t.Fatalf("after %s:\nlocal  %+v\nshared %+v", step, ls, ss)
				}
			}
			// The first answer teaches both the limits.
			first := snap(60, 10000)
			local.Observe(now, first)
			must(t, shared.Observe(ctx(t), now, first))
			check("the first report")
			for i := range 300 {
				switch k := rng.IntN(10); {
				case k < 4:
					n := rng.IntN(3000)
					lr := local.Reserve(now, n)
					sr, err := shared.Reserve(ctx(t), now, n)
					must(t, err)
					if d := lr.Delay() - sr.Delay(); d < -2*time.Microsecond || d > 2*time.Microsecond || lr.Tokens() != sr.Tokens() {
						t.Fatalf("step %d: Reserve(%d): local %s %d tokens, shared %s %d", i, n, lr.Delay(), lr.Tokens(), sr.Delay(), sr.Tokens())
					}
					open = append(open, pair{lr, sr})
				case k < 7 && len(open) > 0:
					j := rng.IntN(len(open))
					a := ratelimit.Answer{Status: []int{200, 200, 200, 429, 500, 0}[rng.IntN(6)], Tokens: rng.IntN(2) * rng.IntN(4000)}
					if rng.IntN(2) == 0 && a.Status != 0 {
						a.Snapshot = snap(rng.IntN(61), rng.IntN(10001))
					}
					open[j].l.Finish(now, a)
					must(t, open[j].s.Finish(ctx(t), now, a))
					open = slices.Delete(open, j, j+1)
				case k == 7 && len(open) > 0:
					j := rng.IntN(len(open))
					open[j].l.Cancel(now)
					must(t, open[j].s.Cancel(ctx(t), now))
					open = slices.Delete(open, j, j+1)
				case k == 8 && rng.IntN(4) == 0:
					d := time.Duration(rng.IntN(5)) * time.Second
					local.OnRateLimited(now, d)
					must(t, shared.OnRateLimited(ctx(t), now, d))
				default:
					now = now.Add(time.Duration(rng.IntN(3000)) * time.Millisecond)
				}
				check(fmt.Sprintf("step %d", i))
			}
		})
	}
}

// A 429 that comes while requests sent before the limits were known are
// still out is the limit being discovered, as the local limiter has it:
// it does not lower the share of the limit this process publishes, even
// when a later request's answer came in between. Once none is out, an
// unforeseen 429 does. (Without slow start, which lets only one request
// out before the first answer.)
func TestLimiterBlindRequestsOutKeepTheShare(t *testing.T) {
	srv := redistest.Start(t)
	l := newLimiter(t, join(t, srv, func(c *Config) { c.SlowStart = -1 }), ratelimit.Config{})
	r1, err := l.Reserve(ctx(t), t0, 0)
	must(t, err)
	r2, err := l.Reserve(ctx(t), t0, 0)
	must(t, err)
	if !r1.req.blind || !r2.req.blind {
		t.Fatal("reservations before anything is known are not blind")
	}
	must(t, r1.Finish(ctx(t), t0, ratelimit.Answer{Status: 200, Snapshot: snap(50, 10000)}))
	r3, err := l.Reserve(ctx(t), t0, 0)
	must(t, err)
	must(t, r3.Finish(ctx(t), t0, ratelimit.Answer{Status: 200, Snapshot: snap(49, 10000)}))
	rate := func() float64 { return l.learn.Status(t0).RequestsPerMinute }
	learnt := rate()
	must(t, l.OnRateLimited(ctx(t), t0, 0)) // r2 is still out
	if got := rate(); got != learnt {
		t.Errorf("a 429 with a blind request out: paced at %.2f rpm, want the %.2f learnt", got, learnt)
	}
	must(t, r2.Finish(ctx(t), t0, ratelimit.Answer{Status: 429, Snapshot: snap(0, 10000)}))
	r4, err := l.Reserve(ctx(t), t0, 0)
	must(t, err)
	must(t, r4.Finish(ctx(t), t0, ratelimit.Answer{Status: 200, Snapshot: snap(0, 10000)}))
	must(t, l.OnRateLimited(ctx(t), t0, 0))
	if got := rate(); got >= learnt {
		t.Errorf("an unforeseen 429: paced at %.2f rpm, want less than the %.2f learnt", got, learnt)
	}
}

// The requests out together when a 429 comes are answered 429 for one
// cause: their 429s lower the share of the limit this process publishes
// once, not once each (32 in flight would pace the fleet at 0.98³² = 52% of
// the limit). A 429 to a request sent after that lowers it again.
func TestLimiterOneBurstOf429sLowersTheShareOnce(t *testing.T) {
	srv := redistest.Start(t)
	l := newLimiter(t, join(t, srv), ratelimit.Config{})
	must(t, l.Observe(ctx(t), t0, snap(60, 10000)))
	rate := func(now time.Time) float64 { return l.learn.Status(now).RequestsPerMinute }
	learnt := rate(t0)
	var out []Reservation
	for range 8 {
		r, err := l.Reserve(ctx(t), t0, 0)
		must(t, err)
		out = append(out, r)
	}
	now := t0.Add(time.Second)
	for _, r := range out {
		must(t, r.OnRateLimited(ctx(t), now, 0))
	}
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9*want }
	if got, want := rate(now), learnt*(1-ratelimit.DefaultDecrease); !near(got, want) {
		t.Errorf("after 8 429s to requests out together: paced at %.4f rpm, want %.4f (lowered once)", got, want)
	}
	later, err := l.Reserve(ctx(t), now, 0)
	must(t, err)
	now = later.act.Add(time.Second)
	must(t, later.OnRateLimited(ctx(t), now, 0))
	if got, want := rate(now), learnt*(1-2*ratelimit.DefaultDecrease); !near(got, want) {
		t.Errorf("after a 429 to a request sent later: paced at %.4f rpm, want %.4f (lowered again)", got, want)
	}
}

// Slow start: while the fleet knows no limit and no answer has come back,
// one probe goes out and every other reservation, from any process, is
// refused with the time its place lapses; the probe's answer ends it —
// with its limits, the others are paced; without headers, they go — and a
// probe that never comes back frees its place after the lease.
func TestLimiterSlowStart(t *testing.T) {
	srv := redistest.Start(t)
	refused := func(t *testing.T, l *Limiter, now time.Time, lapse time.Duration) {
		t.Helper()
		_, err := l.Reserve(ctx(t), now, 0)
		var sse *SlowStartError
		if !errors.Is(err, ErrSlowStart) || !errors.As(err, &sse) || sse.Lapse != lapse {
			t.Fatalf("Reserve during slow start: %v; want a SlowStartError lapsing in %s", err, lapse)
		}
	}
	t.Run("the probe's headers end it", func(t *testing.T) {
		a, b := newLimiter(t, join(t, srv), ratelimit.Config{}), newLimiter(t, join(t, srv), ratelimit.Config{})
		a.key, b.key = "reask:test-slow-1:limiter", "reask:test-slow-1:limiter"
		probe, err := a.Reserve(ctx(t), t0, 0)
		must(t, err)
		if !probe.probe || probe.Delay() != 0 {
			t.Fatalf("the first reservation: probe %v, delay %s; want a probe at once", probe.probe, probe.Delay())
		}
		refused(t, b, t0.Add(time.Second), DefaultProbeLease-time.Second)
		refused(t, a, t0.Add(time.Second), DefaultProbeLease-time.Second)
		must(t, probe.Finish(ctx(t), t0.Add(time.Second), ratelimit.Answer{Status: 200, Snapshot: snap(2, 10000)}))
		// b has learnt nothing itself: the limits a's probe taught pace
		// it — 2 left, then one a second.
		var delays []time.Duration
		for range 3 {
			r, err := b.Reserve(ctx(t), t0.Add(time.Second), 0)
			must(t, err)
			delays = append(delays, r.Delay())
		}
		if want := []time.Duration{0, 0, time.Second}; !slices.Equal(delays, want) {
			t.Errorf("after the probe's answer: delays %v, want %v", delays, want)
		}
	})
	t.Run("an answer without headers ends it", func(t *testing.T) {
		a := newLimiter(t, join(t, srv), ratelimit.Config{})
		a.key = "reask:test-slow-2:limiter"
		probe, err := a.Reserve(ctx(t), t0, 0)
		must(t, err)
		refused(t, a, t0, DefaultProbeLease)
		must(t, probe.Finish(ctx(t), t0, ratelimit.Answer{Status: 200}))
		for range 3 {
			if r, err := a.Reserve(ctx(t), t0, 0); err != nil || r.Delay() != 0 || r.probe {
				t.Fatalf("after an answer without limits: %v, %+v; want blind requests at once", err, r)
			}
		}
	})
	t.Run("a lost probe's place lapses", func(t *testing.T) {
		a := newLimiter(t, join(t, srv), ratelimit.Config{})
		a.key = "reask:test-slow-3:limiter"
		if _, err := a.Reserve(ctx(t), t0, 0); err != nil { // never finished
			t.Fatal(err)
		}
		refused(t, a, t0.Add(DefaultProbeLease-time.Millisecond), time.Millisecond)
		next, err := a.Reserve(ctx(t), t0.Add(DefaultProbeLease), 0)
		if err != nil || !next.probe {
			t.Fatalf("after the lease: %v, probe %v; want the next probe", err, next.probe)
		}
	})
	t.Run("a failed probe frees its place", func(t *testing.T) {
		a := newLimiter(t, join(t, srv), ratelimit.Config{})
		a.key = "reask:test-slow-4:limiter"
		probe, err := a.Reserve(ctx(t), t0, 0)
		must(t, err)
		must(t, probe.Finish(ctx(t), t0, ratelimit.Answer{})) // no answer came
		next, err := a.Reserve(ctx(t), t0, 0)
		if err != nil || !next.probe {
			t.Fatalf("after a probe without an answer: %v, probe %v; want the next probe", err, next.probe)
		}
	})
	t.Run("Wait waits for another process's probe", func(t *testing.T) {
		a, b := newLimiter(t, join(t, srv), ratelimit.Config{}), newLimiter(t, join(t, srv), ratelimit.Config{})
		a.key, b.key = "reask:test-slow-5:limiter", "reask:test-slow-5:limiter"
		probe, err := a.Reserve(ctx(t), t0, 0)
		must(t, err)
		// b's Wait polls on its clock; after its third poll, a's probe
		// is answered.
		clk := &hookClock{Fake: clock.NewFake(t0)}
		polls := 0
		clk.onSleep = func(now time.Time) {
			if polls++; polls == 3 {
				must(t, probe.Finish(ctx(t), now, ratelimit.Answer{Status: 200, Snapshot: snap(5, 10000)}))
			}
		}
		r, waited, err := b.Wait(ctx(t), clk, 0)
		must(t, err)
		if r.probe || waited != firstPoll+2*firstPoll+4*firstPoll {
			t.Errorf("Wait: probe %v after %s; want a paced request after polls of 10, 20 and 40ms", r.probe, waited)
		}
	})
}

// When Redis fails, the requests this process still has queued in the
// shared limiter go out at the times they were given: the local limiter
// that takes over owes them (Queued, ratelimit.Limiter.Owe) instead of
// starting full, so the process does not send its local share on top of
// them. Finished and cancelled reservations, and those already due, are
// not queued.
func TestLimiterLocalOwesQueued(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv)
	a := newLimiter(t, p, ratelimit.Config{})
	must(t, a.Observe(ctx(t), t0, snap(5, 10000))) // 5 left, one more a second
	var rs []Reservation
	for range 9 {
		r, err := a.Reserve(ctx(t), t0, 100)
		must(t, err)
		rs = append(rs, r)
	}
	// Due at once: 5; queued, 1 to 4 s ahead: 4.
	if n, tok := a.Queued(t0); n != 4 || tok != 400 {
		t.Fatalf("queued %d requests, %d tokens; want 4, 400", n, tok)
	}
	must(t, rs[8].Cancel(ctx(t), t0))
	must(t, rs[7].Finish(ctx(t), t0, ratelimit.Answer{Status: 200, Tokens: 100}))
	must(t, rs[0].Finish(ctx(t), t0, ratelimit.Answer{Status: 200, Tokens: 100}))
	if n, tok := a.Queued(t0); n != 2 || tok != 200 {
		t.Fatalf("after a cancel and finishes: queued %d requests, %d tokens; want 2, 200", n, tok)
	}
	if n, _ := a.Queued(t0.Add(1500 * time.Millisecond)); n != 1 {
		t.Errorf("1.5 s later: queued %d; want 1 (the one at 2 s)", n)
	}

	srv.Kill()
	if _, err := a.Reserve(ctx(t), t0, 100); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("reserve with Redis killed: %v; want ErrUnavailable", err)
	}
	// Two processes alive: the local limiter paces 30 a minute, one every
	// 2 s, and owes the 2 queued from an empty bucket: its first request
	// waits for 3 requests' worth, 6 s; without owing it would go at once.
	for _, tt := range []struct {
		name string
		owe  bool
		want []time.Duration
	}{
		{"owing the queue", true, []time.Duration{6 * time.Second, 8 * time.Second}},
		{"starting full", false, []time.Duration{0, 2 * time.Second}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := a.LocalConfig(t0, 2)
			if c.RPM != 30 {
				t.Fatalf("local RPM %d, want 30", c.RPM)
			}
			local, err := ratelimit.New(c)
			must(t, err)
			if tt.owe {
				n, tok := a.Queued(t0)
				local.Owe(t0, n, tok)
			}
			var got []time.Duration
			for range 2 {
				got = append(got, local.Reserve(t0, 100).Delay())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("local delays %v, want %v", got, tt.want)
			}
		})
	}
}

// When Redis serves again after an outage, a process repays what it did
// without the shared buckets: its requests sent locally lower a level, but
// never below empty (at most a full bucket: a stalled Redis kept a bucket
// that refilled during the outage, and the fleet would burst into it);
// those still queued locally put it in debt, at most a minute of its rate
// (a restarted Redis starts the bucket empty: the queue still waits). What
// one process repays is what the others see.
func TestLimiterRepay(t *testing.T) {
	srv := redistest.Start(t)
	a, b := newLimiter(t, join(t, srv), ratelimit.Config{}), newLimiter(t, join(t, srv), ratelimit.Config{})
	rdb := inspect(t, srv)
	must(t, a.Observe(ctx(t), t0, snap(60, 10000))) // a knows the limits too
	for _, tt := range []struct {
		name           string
		lost           bool // the state was lost during the outage, as by a restart
		o              shared.Outage
		requests, toks float64 // the levels after
	}{
		{"sent lowers a full bucket", false, shared.Outage{SentRequests: 10, SentTokens: 4000}, 50, 6000},
		{"sent empties it at most", false, shared.Outage{SentRequests: 100, SentTokens: 50000}, 0, 0},
		{"queued goes into debt", false, shared.Outage{QueuedRequests: 3, QueuedTokens: 300}, 57, 9700},
		{"sent, then queued", false, shared.Outage{SentRequests: 100, QueuedRequests: 3}, -3, 10000},
		{"queued at most a minute of the rate", false, shared.Outage{SentRequests: 100, QueuedRequests: 1000}, -60, 10000},
		{"state lost: sent repays nothing", true, shared.Outage{SentRequests: 10, SentTokens: 4000}, 0, 0},
		{"state lost: queued still waits", true, shared.Outage{SentRequests: 10, QueuedRequests: 2}, -2, 0},
		{"nothing to repay", false, shared.Outage{}, 60, 10000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			must(t, rdb.Del(ctx(t), a.Key()).Err())
			if !tt.lost {
				must(t, b.Observe(ctx(t), t0, snap(60, 10000))) // a full bucket
			}
			must(t, a.Repay(ctx(t), t0, tt.o))
			st, err := b.Status(ctx(t), t0)
			must(t, err)
			if st.Requests != tt.requests || st.Tokens != tt.toks {
				t.Errorf("levels %v requests, %v tokens; want %v, %v", st.Requests, st.Tokens, tt.requests, tt.toks)
			}
		})
	}
	// The next reservation waits behind the debt: 3 queued at one a
	// second, so the request after them goes in 4 s.
	must(t, rdb.Del(ctx(t), a.Key()).Err())
	must(t, b.Observe(ctx(t), t0, snap(0, 10000)))
	must(t, a.Repay(ctx(t), t0, shared.Outage{SentRequests: 5, QueuedRequests: 3}))
	r, err := b.Reserve(ctx(t), t0, 0)
	must(t, err)
	if r.Delay() != 4*time.Second {
		t.Errorf("the next reservation waits %s; want 4s", r.Delay())
	}
}
