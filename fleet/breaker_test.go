package fleet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/internal/redistest"
)

func newBreaker(t *testing.T, p *process, s breaker.Settings) *Breaker {
	t.Helper()
	b, err := p.Breaker(acct, "openai/gpt-test", s)
	must(t, err)
	return b
}

// fail records n failures through b at now.
func fail(t *testing.T, b *Breaker, now time.Time, n int) (opened bool) {
	t.Helper()
	for range n {
		tk, err := b.Allow(ctx(t), now)
		must(t, err)
		o, err := tk.Done(ctx(t), now, breaker.Failure)
		must(t, err)
		opened = opened || o
	}
	return opened
}

// One process's failures open the breaker for every process; after the
// cool-down, half-open admits Probes calls in the whole fleet, and
// SuccessesToClose successful probes (from any process) close it.
func TestBreakerSharedStates(t *testing.T) {
	srv := redistest.Start(t)
	var mu sync.Mutex
	var changes []string
	s := breakerSettings()
	s.OnStateChange = func(key string, from, to breaker.State) {
		mu.Lock()
		defer mu.Unlock()
		changes = append(changes, fmt.Sprintf("%s %s→%s", key, from, to))
	}
	a, b := newBreaker(t, join(t, srv), s), newBreaker(t, join(t, srv), s)

	if !fail(t, a, t0, 4) {
		t.Fatal("4 failures of 4 did not open the breaker")
	}
	_, err := b.Allow(ctx(t), t0.Add(time.Second))
	var oe *breaker.OpenError
	if !errors.Is(err, breaker.ErrOpen) || !errors.As(err, &oe) || oe.State != breaker.Open || !oe.Until.Equal(t0.Add(5*time.Second)) || oe.Key != "openai/gpt-test" {
		t.Fatalf("the other process's Allow: %v; want open until t0+5s", err)
	}

	half := t0.Add(5 * time.Second)
	p1, err := b.Allow(ctx(t), half)
	must(t, err)
	p2, err := a.Allow(ctx(t), half)
	must(t, err)
	if !p1.Probe() || !p2.Probe() {
		t.Fatal("half-open tickets are not probes")
	}
	for _, br := range []*Breaker{a, b} {
		_, err := br.Allow(ctx(t), half)
		if !errors.As(err, &oe) || oe.State != breaker.HalfOpen || !oe.Until.Equal(half.Add(20*time.Second)) {
			t.Fatalf("a third probe in the fleet: %v; want refused half-open until the probe timeout", err)
		}
	}
	must2(t)(p1.Done(ctx(t), half, breaker.Success))
	st, err := a.Status(ctx(t), half)
	must(t, err)
	if st.State != breaker.HalfOpen || st.Probes != 1 {
		t.Fatalf("after one successful probe: %+v", st)
	}
	must2(t)(p2.Done(ctx(t), half, breaker.Success))
	st, _ = b.Status(ctx(t), half)
	if st.State != breaker.Closed || st.Generation != 3 {
		t.Fatalf("after two successful probes: %+v; want closed, generation 3", st)
	}
	want := []string{"openai/gpt-test closed→open", "openai/gpt-test open→half-open", "openai/gpt-test half-open→closed"}
	if !slices.Equal(changes, want) {
		t.Errorf("state changes reported %q, want each once: %q", changes, want)
	}
}

func must2(t *testing.T) func(bool, error) {
	return func(_ bool, err error) {
		t.Helper()
		must(t, err)
	}
}

// A failed probe reopens the breaker for everyone; a ticket issued before
// a state change (or before Redis lost the state) counts for nothing.
func TestBreakerGenerations(t *testing.T) {
	srv := redistest.Start(t)
	pa := join(t, srv)
	a, b := newBreaker(t, pa, breakerSettings()), newBreaker(t, join(t, srv), breakerSettings())
	late, err := a.Allow(ctx(t), t0)
	must(t, err)
	fail(t, b, t0, 4)
	if opened, err := late.Done(ctx(t), t0, breaker.Success); opened || err != nil {
		t.Fatalf("a late ticket: %v, %v", opened, err)
	}
	half := t0.Add(5 * time.Second)
	probe, err := a.Allow(ctx(t), half)
	must(t, err)
	opened, err := probe.Done(ctx(t), half, breaker.Failure)
	if !opened || err != nil {
		t.Fatalf("a failed probe: opened %v, %v", opened, err)
	}
	st, _ := b.Status(ctx(t), half)
	if st.State != breaker.Open || !st.Until.Equal(half.Add(5*time.Second)) {
		t.Fatalf("after a failed probe: %+v", st)
	}

	// Across a restart: the state is gone (closed), and a ticket from
	// before does not count in the new window.
	closed := half.Add(10 * time.Second)
	p2, _ := a.Allow(ctx(t), closed)
	must2(t)(p2.Done(ctx(t), closed, breaker.Success)) // half-open → closed
	old, err := a.Allow(ctx(t), closed)
	must(t, err)
	srv.Restart()
	now := closed
	if _, err := a.Status(ctx(t), now); err != nil {
		pa.clk.Advance(DefaultRecheck) // the pool's dead connections
	}
	must2(t)(old.Done(ctx(t), now, breaker.Failure))
	st, err = a.Status(ctx(t), now)
	must(t, err)
	if st.State != breaker.Closed || st.Failures != 0 {
		t.Errorf("after a restart and a stale failure: %+v; want closed and empty", st)
	}
}

// The shared breaker makes the local breaker's decisions: the same calls
// and outcomes at the same instants get the same answers, tickets, trips
// and status.
func TestBreakerMatchesLocal(t *testing.T) {
	srv := redistest.Start(t)
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			s := breakerSettings()
			s.Probes = 1 + int(seed%3)
			s.SuccessesToClose = 1 + int(seed%2)
			local, err := breaker.New("k", s)
			must(t, err)
			shared, err := join(t, srv).Breaker(Account{Model: fmt.Sprint("b", seed)}, "k", s)
			must(t, err)
			rng := rand.New(rand.NewPCG(seed, 11))
			// Whole seconds, the buckets' width: the local breaker's
			// buckets start at its first result, the shared one's at
			// Unix time, and these coincide.
			now := t0
			type pair struct {
				l breaker.Ticket
				s Ticket
			}
			var open []pair
			failRate := 0.2 + 0.6*rng.Float64()
			for i := range 400 {
				switch k := rng.IntN(10); {
				case k < 5:
					lt, lerr := local.Allow(now)
					st, serr := shared.Allow(ctx(t), now)
					var le, se *breaker.OpenError
					if (lerr == nil) != (serr == nil) || lerr != nil && (!errors.As(lerr, &le) || !errors.As(serr, &se) || *le != *se) || lt.Probe() != st.Probe() {
						t.Fatalf("step %d: Allow: local %v %v, shared %v %v", i, lerr, lt.Probe(), serr, st.Probe())
					}
					if lerr == nil {
						open = append(open, pair{lt, st})
					}
				case k < 8 && len(open) > 0:
					j := rng.IntN(len(open))
					o := breaker.Success
					if rng.Float64() < failRate {
						o = breaker.Failure
					} else if rng.IntN(8) == 0 {
						o = breaker.Ignored
					}
					lo := open[j].l.Done(now, o)
					so, err := open[j].s.Done(ctx(t), now, o)
					must(t, err)
					if lo != so {
						t.Fatalf("step %d: Done(%s) opened: local %v, shared %v", i, o, lo, so)
					}
					open = slices.Delete(open, j, j+1)
				case k == 8 && len(open) > 0:
					// A ticket never finished.
					open = open[1:]
				default:
					now = now.Add(time.Duration(rng.IntN(4)) * time.Second)
				}
				ls := local.Status(now)
				ss, err := shared.Status(ctx(t), now)
				must(t, err)
				if ls != ss {
					t.Fatalf("step %d: status\nlocal  %+v\nshared %+v", i, ls, ss)
				}
			}
		})
	}
}

// Settings out of range are refused, as breaker.New refuses them.
func TestBreakerSettings(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv)
	if _, err := p.Breaker(acct, "x", breaker.Settings{Threshold: 2}); !errors.Is(err, breaker.ErrInvalidSettings) {
		t.Errorf("threshold 2: %v", err)
	}
	if _, err := p.Breaker(acct, "x", breaker.Settings{Window: time.Millisecond, Buckets: 10000}); !errors.Is(err, ErrConfig) {
		t.Errorf("sub-microsecond buckets: %v", err)
	}
}
