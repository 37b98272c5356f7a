package breaker

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"
)

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const s = time.Second

// recorder collects state changes.
type recorder struct {
	mu      sync.Mutex
	changes []string
}

func (r *recorder) record(key string, from, to State) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = append(r.changes, fmt.Sprintf("%s:%s->%s", key, from, to))
}

func (r *recorder) got() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.changes)
}

func mustNew(t *testing.T, key string, st Settings) *Breaker {
	t.Helper()
	b, err := New(key, st)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// call makes one call at now with the given outcome and fails the test if
// it is refused.
func call(t *testing.T, b *Breaker, now time.Time, o Outcome) {
	t.Helper()
	tk, err := b.Allow(now)
	if err != nil {
		t.Fatalf("Allow(%s) = %v, want a ticket", now.Sub(t0), err)
	}
	tk.Done(now, o)
}

func wantState(t *testing.T, b *Breaker, now time.Time, want State) {
	t.Helper()
	if got := b.State(now); got != want {
		t.Fatalf("State(%s) = %s, want %s", now.Sub(t0), got, want)
	}
}

func TestTrip(t *testing.T) {
	// Window 10s in 10 buckets of 1s; MinCalls 4; threshold 0.5.
	settings := Settings{Window: 10 * s, Buckets: 10, MinCalls: 4, Threshold: 0.5, CoolDown: 5 * s}
	type result struct {
		at time.Duration
		o  Outcome
	}
	tests := []struct {
		name    string
		results []result
		want    State
	}{
		{"too few calls, all failing", []result{{0, Failure}, {0, Failure}, {0, Failure}}, Closed},
		{"enough calls, rate at threshold", []result{{0, Success}, {0, Success}, {0, Failure}, {0, Failure}}, Open},
		{"enough calls, rate below threshold", []result{{0, Success}, {0, Success}, {0, Success}, {0, Failure}, {0, Failure}}, Closed},
		{"ignored results do not count", []result{{0, Ignored}, {0, Ignored}, {0, Failure}, {0, Failure}, {0, Failure}}, Closed},
		{"last result a success does not trip", []result{{0, Failure}, {0, Failure}, {0, Failure}, {0, Success}}, Closed},
		{"failures spread over the window", []result{{0, Failure}, {3 * s, Failure}, {6 * s, Failure}, {9 * s, Failure}}, Open},
		{"first failure left the window", []result{{0, Failure}, {4 * s, Failure}, {7 * s, Failure}, {10 * s, Failure}}, Closed},
		{"old successes left the window", []result{{0, Success}, {0, Success}, {0, Success}, {0, Success}, {10 * s, Failure}, {10 * s, Failure}, {11 * s, Failure}, {12 * s, Failure}}, Open},
		{"old successes still in the window", []result{{1 * s, Success}, {1 * s, Success}, {1 * s, Success}, {1 * s, Success}, {10 * s, Failure}, {10 * s, Failure}, {10 * s, Failure}}, Closed},
		{"within one bucket", []result{{500 * time.Millisecond, Failure}, {999 * time.Millisecond, Failure}, {0, Failure}, {100 * time.Millisecond, Failure}}, Open},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := mustNew(t, "k", settings)
			var last time.Duration
			for _, r := range tt.results {
				call(t, b, at(r.at), r.o)
				last = max(last, r.at)
			}
			wantState(t, b, at(last), tt.want)
		})
	}
}

func TestOpenRefusesUntilCoolDown(t *testing.T) {
	rec := &recorder{}
	b := mustNew(t, "p/m", Settings{MinCalls: 2, CoolDown: 30 * s, OnStateChange: rec.record})
	call(t, b, at(0), Failure)
	call(t, b, at(1*s), Failure)

	for _, d := range []time.Duration{1 * s, 10 * s, 31*s - 1} {
		_, err := b.Allow(at(d))
		if !errors.Is(err, ErrOpen) {
			t.Fatalf("Allow(%s) = %v, want ErrOpen", d, err)
		}
		var oe *OpenError
		if !errors.As(err, &oe) {
			t.Fatalf("Allow(%s) = %T, want *OpenError", d, err)
		}
		want := OpenError{Key: "p/m", State: Open, Until: at(31 * s)}
		if *oe != want {
			t.Errorf("Allow(%s) = %+v, want %+v", d, *oe, want)
		}
	}
	wantState(t, b, at(31*s-1), Open)
	wantState(t, b, at(31*s), HalfOpen)
	if want := []string{"p/m:closed->open", "p/m:open->half-open"}; !slices.Equal(rec.got(), want) {
		t.Errorf("changes = %q, want %q", rec.got(), want)
	}
}

func TestHalfOpen(t *testing.T) {
	settings := Settings{MinCalls: 1, CoolDown: 10 * s, Probes: 2, SuccessesToClose: 2}
	open := func(t *testing.T, rec *recorder) *Breaker {
		st := settings
		if rec != nil {
			st.OnStateChange = rec.record
		}
		b := mustNew(t, "k", st)
		call(t, b, at(0), Failure) // opens at 0, half-open at 10s
		return b
	}

	t.Run("probe limit", func(t *testing.T) {
		b := open(t, nil)
		p1, err1 := b.Allow(at(10 * s))
		p2, err2 := b.Allow(at(11 * s))
		if err1 != nil || err2 != nil || !p1.Probe() || !p2.Probe() {
			t.Fatalf("first two probes: %v, %v, probes %v %v", err1, err2, p1.Probe(), p2.Probe())
		}
		_, err := b.Allow(at(12 * s))
		var oe *OpenError
		if !errors.As(err, &oe) || !errors.Is(err, ErrOpen) {
			t.Fatalf("third probe: %v, want an *OpenError", err)
		}
		if want := (OpenError{Key: "k", State: HalfOpen, Until: at(11*s + DefaultProbeTimeout)}); *oe != want {
			t.Errorf("third probe refused with %+v, want %+v", *oe, want)
		}
		p1.Done(at(13*s), Ignored) // frees a slot without counting
		p3, err := b.Allow(at(13 * s))
		if err != nil {
			t.Fatalf("probe after a slot freed: %v", err)
		}
		if st := b.Status(at(13 * s)); st.State != HalfOpen || st.Probes != 2 {
			t.Errorf("status = %+v, want half-open with 2 probes", st)
		}
		p2.Done(at(14*s), Success)
		wantState(t, b, at(14*s), HalfOpen) // one success of two
		p3.Done(at(15*s), Success)
		wantState(t, b, at(15*s), Closed)
	})

	t.Run("closing empties the window", func(t *testing.T) {
		b := open(t, nil)
		call(t, b, at(10*s), Success)
		call(t, b, at(10*s), Success)
		if st := b.Status(at(10 * s)); st.State != Closed || st.Successes != 0 || st.Failures != 0 {
			t.Fatalf("status after closing = %+v, want closed with an empty window", st)
		}
		call(t, b, at(11*s), Failure) // MinCalls 1: one failure reopens
		wantState(t, b, at(11*s), Open)
	})

	t.Run("probe failure restarts the cool-down", func(t *testing.T) {
		rec := &recorder{}
		b := open(t, rec)
		p1, _ := b.Allow(at(10 * s))
		p2, _ := b.Allow(at(10 * s))
		p1.Done(at(12*s), Failure)
		_, err := b.Allow(at(12 * s))
		var oe *OpenError
		if !errors.As(err, &oe) || oe.State != Open || !oe.Until.Equal(at(22*s)) {
			t.Fatalf("after a failed probe: %v, want open until +22s", err)
		}
		p2.Done(at(13*s), Success) // stale: the breaker reopened since
		wantState(t, b, at(22*s-1), Open)
		wantState(t, b, at(22*s), HalfOpen)
		want := []string{"k:closed->open", "k:open->half-open", "k:half-open->open", "k:open->half-open"}
		if !slices.Equal(rec.got(), want) {
			t.Errorf("changes = %q, want %q", rec.got(), want)
		}
	})

	t.Run("lost probes are given up after ProbeTimeout", func(t *testing.T) {
		b := open(t, nil)
		lost1, _ := b.Allow(at(10 * s))
		lost2, _ := b.Allow(at(20 * s))
		deadline := at(20*s + DefaultProbeTimeout)
		if _, err := b.Allow(deadline.Add(-1)); !errors.Is(err, ErrOpen) {
			t.Fatalf("before the probe timeout: %v, want ErrOpen", err)
		}
		p, err := b.Allow(deadline)
		if err != nil {
			t.Fatalf("at the probe timeout: %v, want a new probe", err)
		}
		lost1.Done(deadline, Failure) // stale: must not reopen
		lost2.Done(deadline, Success) // stale: must not count towards closing
		if st := b.Status(deadline); st.State != HalfOpen || st.Probes != 1 {
			t.Fatalf("status = %+v, want half-open with 1 probe", st)
		}
		p.Done(deadline, Success)
		wantState(t, b, deadline, HalfOpen)
		call(t, b, deadline, Success)
		wantState(t, b, deadline, Closed)
	})
}

func TestGenerations(t *testing.T) {
	b := mustNew(t, "k", Settings{MinCalls: 2, CoolDown: 10 * s})
	slow, _ := b.Allow(at(0)) // issued while closed, generation 0
	call(t, b, at(1*s), Failure)
	call(t, b, at(1*s), Failure) // opens
	wantState(t, b, at(11*s), HalfOpen)
	slow.Done(at(11*s), Success) // must not close the half-open breaker
	wantState(t, b, at(11*s), HalfOpen)
	call(t, b, at(11*s), Success) // the probe closes it
	slow.Done(at(12*s), Failure)  // must not count in the new window
	if st := b.Status(at(12 * s)); st.Failures != 0 || st.State != Closed {
		t.Fatalf("status = %+v, want closed with no failures", st)
	}
	var zero Ticket
	zero.Done(at(13*s), Failure) // no breaker: nothing happens
}

func TestDoneAfterOpenIsIgnoredInWindow(t *testing.T) {
	b := mustNew(t, "k", Settings{MinCalls: 3, CoolDown: 10 * s})
	a, _ := b.Allow(at(0))
	c, _ := b.Allow(at(0))
	call(t, b, at(0), Failure)
	call(t, b, at(0), Failure)
	call(t, b, at(0), Failure) // opens, generation 1
	a.Done(at(1*s), Failure)
	c.Done(at(1*s), Success)
	if st := b.Status(at(1 * s)); st.State != Open || st.Generation != 1 {
		t.Fatalf("status = %+v, want open in generation 1", st)
	}
}

func TestCallbackMayUseTheBreaker(t *testing.T) {
	var b *Breaker
	var seen []string
	settings := Settings{MinCalls: 1, CoolDown: 10 * s, OnStateChange: func(key string, from, to State) {
		// Reading the state, the status and even calling Allow must not
		// deadlock; a change caused here is reported after this one.
		st := b.Status(at(10 * s))
		seen = append(seen, fmt.Sprintf("%s->%s (now %s)", from, to, st.State))
		if to == HalfOpen {
			tk, err := b.Allow(at(10 * s))
			if err != nil {
				t.Errorf("Allow in callback: %v", err)
				return
			}
			tk.Done(at(10*s), Success)
		}
	}}
	b = mustNew(t, "k", settings)
	call(t, b, at(0), Failure)
	wantState(t, b, at(10*s), Closed) // open → half-open → (probe in callback) → closed
	want := []string{"closed->open (now half-open)", "open->half-open (now half-open)", "half-open->closed (now closed)"}
	if !slices.Equal(seen, want) {
		t.Errorf("callback saw %q, want %q", seen, want)
	}
}

func TestCallbackPanicDoesNotWedge(t *testing.T) {
	n := 0
	b := mustNew(t, "k", Settings{MinCalls: 1, CoolDown: s, OnStateChange: func(string, State, State) {
		n++
		if n == 1 {
			panic("boom")
		}
	}})
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the callback's panic did not propagate")
			}
		}()
		call(t, b, at(0), Failure)
	}()
	wantState(t, b, at(s), HalfOpen) // reported by this call
	if n != 2 {
		t.Errorf("callback called %d times, want 2", n)
	}
}

func TestZeroBreaker(t *testing.T) {
	var b Breaker
	for i := range DefaultMinCalls {
		call(t, &b, at(time.Duration(i)*time.Millisecond), Failure)
	}
	wantState(t, &b, at(s), Open)
	wantState(t, &b, at(s+DefaultCoolDown), HalfOpen)
}

func TestSettingsValidate(t *testing.T) {
	tests := []struct {
		name string
		s    Settings
		ok   bool
	}{
		{"zero", Settings{}, true},
		{"full", Settings{Window: s, Buckets: 5, MinCalls: 3, Threshold: 1, CoolDown: s, Probes: 2, SuccessesToClose: 3, ProbeTimeout: s}, true},
		{"negative window", Settings{Window: -1}, false},
		{"negative buckets", Settings{Buckets: -1}, false},
		{"negative min calls", Settings{MinCalls: -1}, false},
		{"threshold above 1", Settings{Threshold: 1.5}, false},
		{"negative threshold", Settings{Threshold: -0.1}, false},
		{"NaN threshold", Settings{Threshold: math.NaN()}, false},
		{"negative cool-down", Settings{CoolDown: -1}, false},
		{"negative probes", Settings{Probes: -1}, false},
		{"negative successes", Settings{SuccessesToClose: -1}, false},
		{"negative probe timeout", Settings{ProbeTimeout: -1}, false},
		{"buckets narrower than 1ns", Settings{Window: 5, Buckets: 10}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New("k", tt.s)
			if (err == nil) != tt.ok {
				t.Fatalf("New = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidSettings) {
				t.Errorf("New = %v, does not match ErrInvalidSettings", err)
			}
			if _, err2 := NewSet(tt.s); (err2 == nil) != tt.ok {
				t.Errorf("NewSet = %v, want ok=%v", err2, tt.ok)
			}
		})
	}
}

func TestStrings(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{Closed.String(), "closed"}, {HalfOpen.String(), "half-open"}, {Open.String(), "open"}, {State(9).String(), "State(9)"},
		{Success.String(), "success"}, {Failure.String(), "failure"}, {Ignored.String(), "ignored"}, {Outcome(9).String(), "Outcome(9)"},
		{(&OpenError{Key: "p/m", State: Open, Until: t0}).Error(), `breaker: circuit open for "p/m" until 2025-01-02T03:04:05Z`},
		{(&OpenError{Key: "p/m", State: HalfOpen}).Error(), `breaker: circuit half-open for "p/m", every probe slot taken`},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if got := (Status{Successes: 3, Failures: 1}).FailureRate(); got != 0.25 {
		t.Errorf("FailureRate = %v, want 0.25", got)
	}
	if got := (Status{}).FailureRate(); got != 0 {
		t.Errorf("FailureRate of nothing = %v, want 0", got)
	}
}

func TestSet(t *testing.T) {
	rec := &recorder{}
	set, err := NewSet(Settings{MinCalls: 1, CoolDown: 10 * s, OnStateChange: rec.record})
	if err != nil {
		t.Fatal(err)
	}
	if first, second := set.Get("b"), set.Get("b"); first != second {
		t.Fatal("Get returned two breakers for one key")
	}
	tk, err := set.Allow("a", at(0))
	if err != nil {
		t.Fatal(err)
	}
	tk.Done(at(0), Failure)
	if _, err := set.Allow("a", at(1*s)); !errors.Is(err, ErrOpen) {
		t.Fatalf("a: %v, want ErrOpen", err)
	}
	if _, err := set.Allow("c", at(1*s)); err != nil {
		t.Fatalf("c: %v, want allowed", err)
	}
	var got []string
	for _, st := range set.Status(at(1 * s)) {
		got = append(got, st.Key+"="+st.State.String())
	}
	if want := []string{"a=open", "b=closed", "c=closed"}; !slices.Equal(got, want) {
		t.Errorf("Status = %q, want %q", got, want)
	}
	if want := []string{"a:closed->open"}; !slices.Equal(rec.got(), want) {
		t.Errorf("changes = %q, want %q", rec.got(), want)
	}

	var zero Set
	if st := zero.Get("x").State(t0); st != Closed {
		t.Errorf("zero Set breaker state = %s", st)
	}
}

// TestConcurrent exercises every path at once, for the race detector, and
// checks that the probe limit holds under contention.
func TestConcurrent(t *testing.T) {
	var mu sync.Mutex
	probes, maxProbes := 0, 0
	set, err := NewSet(Settings{MinCalls: 5, CoolDown: 10 * time.Millisecond, Probes: 3,
		OnStateChange: func(key string, from, to State) {}})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				now := at(time.Duration(i) * time.Millisecond)
				key := fmt.Sprint("k", g%2)
				tk, err := set.Allow(key, now)
				if err != nil {
					continue
				}
				if tk.Probe() {
					mu.Lock()
					probes++
					maxProbes = max(maxProbes, probes)
					mu.Unlock()
				}
				o := Outcome((i + g) % 3)
				if tk.Probe() {
					mu.Lock()
					probes--
					mu.Unlock()
				}
				tk.Done(now, o)
				_ = set.Status(now)
			}
		})
	}
	wg.Wait()
	// Each breaker admits at most 3 probes; two breakers, so at most 6.
	if maxProbes > 6 {
		t.Errorf("%d probes in flight at once, want at most 6", maxProbes)
	}
}

func BenchmarkAllowOpen(b *testing.B) {
	br := mustNewB(b)
	tk, _ := br.Allow(t0)
	tk.Done(t0, Failure)
	now := at(s)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := br.Allow(now); err == nil {
			b.Fatal("allowed")
		}
	}
}

func BenchmarkSetAllowOpen(b *testing.B) {
	set, _ := NewSet(Settings{MinCalls: 1})
	tk, _ := set.Allow("openai/gpt-4o-mini", t0)
	tk.Done(t0, Failure)
	now := at(s)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := set.Allow("openai/gpt-4o-mini", now); err == nil {
			b.Fatal("allowed")
		}
	}
}

func BenchmarkAllowDoneClosed(b *testing.B) {
	br := mustNewB(b)
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		tk, _ := br.Allow(now)
		tk.Done(now, Success)
		now = now.Add(time.Millisecond)
	}
}

func BenchmarkAllowOpenParallel(b *testing.B) {
	br := mustNewB(b)
	tk, _ := br.Allow(t0)
	tk.Done(t0, Failure)
	now := at(s)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _ = br.Allow(now)
		}
	})
}

func mustNewB(b *testing.B) *Breaker {
	br, err := New("k", Settings{MinCalls: 1})
	if err != nil {
		b.Fatal(err)
	}
	return br
}

// TestDoneReportsTheTrip: Done says true for exactly the outcome that
// opened the breaker, from closed and from half-open.
func TestDoneReportsTheTrip(t *testing.T) {
	b := mustNew(t, "p/m", Settings{MinCalls: 2, Threshold: 0.5, CoolDown: 10 * s, Probes: 1})
	steps := []struct {
		at      time.Duration
		outcome Outcome
		opened  bool
	}{
		{0, Success, false},
		{1 * s, Failure, true},   // 1 of 2 failed: the threshold
		{12 * s, Failure, true},  // the half-open probe fails: open again
		{25 * s, Success, false}, // the next probe closes it
		{26 * s, Ignored, false},
	}
	for _, st := range steps {
		tk, err := b.Allow(at(st.at))
		if err != nil {
			t.Fatalf("at %s: %v", st.at, err)
		}
		if got := tk.Done(at(st.at), st.outcome); got != st.opened {
			t.Errorf("at %s: Done(%s) = %v, want %v", st.at, st.outcome, got, st.opened)
		}
	}
	if got := b.State(at(26 * s)); got != Closed {
		t.Errorf("state %s, want closed", got)
	}
}
