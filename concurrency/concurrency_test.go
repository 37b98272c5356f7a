package concurrency

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
)

func mustNew(t testing.TB, c Config) *Limiter {
	t.Helper()
	l, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// fill takes every free slot and returns their releases.
func fill(l *Limiter) []Release {
	var rs []Release
	for {
		r, ok := l.TryAcquire()
		if !ok {
			return rs
		}
		rs = append(rs, r)
	}
}

func TestZeroLimiter(t *testing.T) {
	var l Limiter
	if n := len(fill(&l)); n != DefaultMax {
		t.Fatalf("zero limiter admits %d, want %d", n, DefaultMax)
	}
	if st := l.Status(); st.Limit != DefaultMax || st.InFlight != DefaultMax {
		t.Errorf("status = %+v", st)
	}
}

func TestDecrease(t *testing.T) {
	l := mustNew(t, Config{Initial: 10, Max: 20, Decrease: 0.5})
	first := fill(l)
	if len(first) != 10 {
		t.Fatalf("admitted %d, want 10", len(first))
	}
	// Ten requests of one generation overload: one cut, to 5.
	for _, r := range first {
		r(Overload)
	}
	if st := l.Status(); st.Limit != 5 || st.InFlight != 0 {
		t.Fatalf("after a burst of overloads: %+v, want limit 5, none in flight", st)
	}
	second := fill(l)
	if len(second) != 5 {
		t.Fatalf("admitted %d, want 5", len(second))
	}
	second[0](Overload) // a new generation: cut again
	second[1](Overload)
	if got := l.Status().Limit; got != 2.5 {
		t.Fatalf("limit = %v, want 2.5", got)
	}
	for _, r := range second[2:] {
		r(Ignored)
	}
	// Down to the minimum and no further.
	for range 5 {
		r, ok := l.TryAcquire()
		if !ok {
			t.Fatal("no slot")
		}
		r(Overload)
	}
	if got := l.Status().Limit; got != 1 {
		t.Fatalf("limit = %v, want the minimum 1", got)
	}
}

func TestIncrease(t *testing.T) {
	l := mustNew(t, Config{Initial: 4, Max: 5})
	rs := fill(l)
	rs[0](Success)
	want := 4 + 1.0/4
	if got := l.Status().Limit; got != want {
		t.Fatalf("limit = %v, want %v", got, want)
	}
	rs[1](Success)
	want += 1 / want
	if got := l.Status().Limit; got != want {
		t.Fatalf("limit = %v, want %v", got, want)
	}
	rs[2](Success)
	rs[3](Success)
	for range 20 {
		r := fill(l)
		for _, x := range r {
			x(Success)
		}
	}
	if got := l.Status().Limit; got != 5 {
		t.Fatalf("limit = %v, want the maximum 5", got)
	}
}

func TestIdleDoesNotGrow(t *testing.T) {
	l := mustNew(t, Config{Initial: 10, Max: 100})
	for range 1000 {
		r, _ := l.TryAcquire() // one in flight of ten
		r(Success)
	}
	if got := l.Status().Limit; got != 10 {
		t.Errorf("limit = %v, want 10: an idle client must not grow it", got)
	}
}

func TestReleaseTwice(t *testing.T) {
	l := mustNew(t, Config{Initial: 2, Decrease: 0.5})
	r, _ := l.TryAcquire()
	r(Success)
	r(Overload)
	if st := l.Status(); st.InFlight != 0 || st.Limit != 2+0.5 {
		t.Errorf("status = %+v, want nothing in flight and no cut", st)
	}
}

func TestWaitersInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, Config{Initial: 1, Max: 1})
		hold, _ := l.TryAcquire()
		var mu sync.Mutex
		var order []int
		for i := range 3 {
			go func() {
				r, err := l.Acquire(t.Context())
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				r(Success)
			}()
			synctest.Wait() // queued before the next one starts
		}
		if st := l.Status(); st.Waiting != 3 {
			t.Fatalf("waiting = %d, want 3", st.Waiting)
		}
		hold(Success)
		synctest.Wait()
		if want := []int{0, 1, 2}; !slices.Equal(order, want) {
			t.Errorf("served in order %v, want %v", order, want)
		}
	})
}

func TestCancelWhileWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := mustNew(t, Config{Initial: 1, Max: 1})
		hold, _ := l.TryAcquire()
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() {
			_, err := l.Acquire(ctx)
			errc <- err
		}()
		synctest.Wait()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("Acquire = %v, want context.Canceled", err)
		}
		if st := l.Status(); st.Waiting != 0 || st.InFlight != 1 {
			t.Fatalf("after cancel: %+v, want no waiter, one in flight", st)
		}
		hold(Success)
		if _, ok := l.TryAcquire(); !ok {
			t.Error("the slot was not freed")
		}
	})
}

func TestCancelledBeforeAcquire(t *testing.T) {
	var l Limiter
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.Acquire(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Acquire = %v, want context.Canceled", err)
	}
	if st := l.Status(); st.InFlight != 0 {
		t.Errorf("in flight = %d, want 0", st.InFlight)
	}
}

// TestSettles: a provider that takes C requests at once and answers 429
// beyond; a client that always has work. The limit must settle between
// Decrease×C and C, with few 429s.
func TestSettles(t *testing.T) {
	for _, c := range []struct {
		capacity, initial int
	}{{10, 64}, {25, 64}, {40, 100}, {5, 5}} {
		l := mustNew(t, Config{Initial: c.initial, Max: 200})
		const work = 3 // ticks a request takes
		type pending struct {
			rel Release
			at  int
			o   Outcome
		}
		var inFlight []pending
		atProvider := 0
		sent, refused := 0, 0
		var limits []float64
		for tick := range 3000 {
			// Answers due now.
			rest := inFlight[:0]
			for _, p := range inFlight {
				if p.at > tick {
					rest = append(rest, p)
					continue
				}
				if p.o == Success {
					atProvider--
				}
				p.rel(p.o)
			}
			inFlight = rest
			// Send as much as the limiter allows.
			for {
				r, ok := l.TryAcquire()
				if !ok {
					break
				}
				sent++
				if atProvider < c.capacity {
					atProvider++
					inFlight = append(inFlight, pending{r, tick + work, Success})
				} else {
					refused++
					inFlight = append(inFlight, pending{r, tick + 1, Overload})
				}
			}
			if tick >= 1500 {
				limits = append(limits, l.Status().Limit)
			}
		}
		lo, hi := slices.Min(limits), slices.Max(limits)
		mean := 0.0
		for _, x := range limits {
			mean += x
		}
		mean /= float64(len(limits))
		share := float64(refused) / float64(sent)
		t.Logf("provider takes %d: limit in [%.1f, %.1f], mean %.1f; %.2f%% refused", c.capacity, lo, hi, mean, 100*share)
		if lo < DefaultDecrease*float64(c.capacity)-1 || hi > float64(c.capacity)+2 {
			t.Errorf("provider takes %d: limit ranged over [%.1f, %.1f]", c.capacity, lo, hi)
		}
		if math.Abs(mean-0.85*float64(c.capacity)) > 0.15*float64(c.capacity)+1 {
			t.Errorf("provider takes %d: mean limit %.1f", c.capacity, mean)
		}
		// Each cycle probes one request past the capacity: the smaller the
		// capacity, the larger the share.
		if share > 0.1 {
			t.Errorf("provider takes %d: %.1f%% refused, want at most 10%%", c.capacity, 100*share)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"full", Config{Min: 2, Max: 10, Initial: 5, Decrease: 0.5, Increase: 2}, true},
		{"min above default max", Config{Min: 100}, true},
		{"negative min", Config{Min: -1}, false},
		{"negative max", Config{Max: -1}, false},
		{"min above max", Config{Min: 5, Max: 4}, false},
		{"initial above max", Config{Max: 4, Initial: 5}, false},
		{"initial below min", Config{Min: 3, Initial: 2}, false},
		{"decrease 1", Config{Decrease: 1}, false},
		{"negative decrease", Config{Decrease: -0.5}, false},
		{"NaN decrease", Config{Decrease: math.NaN()}, false},
		{"increase above max", Config{Max: 4, Increase: 5}, false},
		{"NaN increase", Config{Increase: math.NaN()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.c)
			if (err == nil) != tt.ok {
				t.Fatalf("New = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("New = %v, does not match ErrInvalidConfig", err)
			}
		})
	}
	for o, want := range map[Outcome]string{Success: "success", Overload: "overload", Ignored: "ignored", 7: "Outcome(7)"} {
		if o.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(o), o.String(), want)
		}
	}
}

func TestConcurrent(t *testing.T) {
	l := mustNew(t, Config{Initial: 4, Max: 8})
	var wg sync.WaitGroup
	var mu sync.Mutex
	now, most := 0, 0
	for g := range 16 {
		wg.Go(func() {
			for i := range 300 {
				ctx, cancel := context.WithCancel(t.Context())
				if i%7 == 0 {
					cancel()
				}
				r, err := l.Acquire(ctx)
				if err != nil {
					cancel()
					continue
				}
				mu.Lock()
				now++
				most = max(most, now)
				mu.Unlock()
				mu.Lock()
				now--
				mu.Unlock()
				r(Outcome((g + i) % 3))
				cancel()
			}
		})
	}
	wg.Wait()
	if st := l.Status(); st.InFlight != 0 || st.Waiting != 0 {
		t.Errorf("after all: %+v, want nothing in flight or waiting", st)
	}
	if most > 8 {
		t.Errorf("%d in flight at once, above the maximum 8", most)
	}
}

func BenchmarkAcquireRelease(b *testing.B) {
	var l Limiter
	ctx := b.Context()
	for b.Loop() {
		r, _ := l.Acquire(ctx)
		r(Success)
	}
}
