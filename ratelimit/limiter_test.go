package ratelimit

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask/clock"
)

const sec = time.Second

func at(d time.Duration) time.Time { return t0.Add(d) }

func mustNew(t testing.TB, c Config) *Limiter {
	t.Helper()
	l, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func reqQuota(limit, remaining int, reset time.Duration) Snapshot {
	return Snapshot{Requests: Quota{Limit: limit, Remaining: remaining, Reset: reset, HasLimit: true, HasRemaining: true, HasReset: true}}
}

// delays reserves one request (of tokens) at each instant and returns the
// delays.
func delays(l *Limiter, tokens int, times ...time.Duration) []time.Duration {
	var out []time.Duration
	for _, d := range times {
		out = append(out, l.Reserve(at(d), tokens).Delay())
	}
	return out
}

func equal(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestZeroLimiterNeverDelays(t *testing.T) {
	var l Limiter
	for i := range 1000 {
		if d := l.Reserve(t0, 100_000).Delay(); d != 0 {
			t.Fatalf("reservation %d: delay %v, want 0", i, d)
		}
	}
	if st := l.Status(t0); st != (Status{}) {
		t.Errorf("status = %+v, want zero", st)
	}
}

func TestConfiguredLimits(t *testing.T) {
	tests := []struct {
		name   string
		cfg    Config
		tokens int
		times  []time.Duration
		want   []time.Duration
	}{
		{"60 RPM: one a second, burst of one", Config{RPM: 60}, 0,
			[]time.Duration{0, 0, 0, 0},
			[]time.Duration{0, sec, 2 * sec, 3 * sec}},
		{"60 RPM: the bucket refills while idle", Config{RPM: 60}, 0,
			[]time.Duration{0, 5 * sec, 5 * sec, 5500 * time.Millisecond},
			[]time.Duration{0, 0, sec, 1500 * time.Millisecond}},
		{"600 RPM: a burst of ten", Config{RPM: 600}, 0,
			[]time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
			[]time.Duration{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100 * time.Millisecond, 200 * time.Millisecond}},
		{"explicit burst", Config{RPM: 60, Burst: 3}, 0,
			[]time.Duration{0, 0, 0, 0},
			[]time.Duration{0, 0, 0, sec}},
		{"6000 TPM: tokens bind", Config{RPM: 6000, TPM: 6000}, 100,
			[]time.Duration{0, 0, 0},
			[]time.Duration{0, sec, 2 * sec}},
		{"a request larger than the token bucket waits for a full one", Config{TPM: 600, TokenBurst: 10}, 30,
			[]time.Duration{0, 0},
			[]time.Duration{0, 3 * sec}}, // the first leaves -20; the next needs 10: 30 tokens at 10/s
		{"zero tokens use no token budget", Config{TPM: 60}, 0,
			[]time.Duration{0, 0, 0},
			[]time.Duration{0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustNew(t, tt.cfg)
			if got := delays(l, tt.tokens, tt.times...); !equal(got, tt.want) {
				t.Errorf("delays = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestObserveSetsTheBucket(t *testing.T) {
	l := mustNew(t, Config{})
	// Nothing known: no delay. Then the provider says 60 a minute, 2 left.
	l.Observe(at(0), reqQuota(60, 2, 58*sec))
	got := delays(l, 0, 0, 0, 0, 0)
	if want := []time.Duration{0, 0, sec, 2 * sec}; !equal(got, want) {
		t.Errorf("delays = %v, want %v", got, want)
	}
	st := l.Status(at(0))
	if st.RequestsPerMinute != 60 || st.RequestCapacity != 60 || st.Requests != -2 {
		t.Errorf("status = %+v, want 60/min, capacity 60, level -2", st)
	}
}

func TestObserveOnlyLowers(t *testing.T) {
	l := mustNew(t, Config{Period: time.Minute})
	l.Observe(at(0), reqQuota(60, 10, 50*sec))
	l.Observe(at(0), reqQuota(60, 30, 30*sec)) // stale: ignored
	if lv := l.Status(at(0)).Requests; lv != 10 {
		t.Fatalf("level = %v, want 10", lv)
	}
	l.Observe(at(0), reqQuota(60, 4, 56*sec)) // someone else spent some
	if lv := l.Status(at(0)).Requests; lv != 4 {
		t.Fatalf("level = %v, want 4", lv)
	}
	if lv := l.Status(at(3 * sec)).Requests; lv != 7 {
		t.Fatalf("level 3s later = %v, want 7", lv)
	}
}

func TestBlindStart(t *testing.T) {
	// Four calls start before anything is known. The provider counted
	// them in some order: its bucket of 60 went 59, 58, 57, 56. Whatever
	// order the answers come back in, once all are in the limiter holds
	// exactly 56 (less what was sent since).
	orders := [][]int{{59, 58, 57, 56}, {56, 57, 58, 59}, {57, 59, 56, 58}}
	for _, order := range orders {
		l := mustNew(t, Config{Period: time.Minute})
		for range 4 {
			l.Reserve(at(0), 0)
		}
		for _, r := range order {
			l.Observe(at(0), reqQuota(60, r, time.Duration(60-r)*sec))
			// Never above the truth at any point.
			if lv := l.Status(at(0)).Requests; lv > 56 {
				t.Fatalf("order %v: level %v above the provider's 56", order, lv)
			}
		}
		if lv := l.Status(at(0)).Requests; lv != 56 {
			t.Errorf("order %v: level %v, want 56", order, lv)
		}
	}
}

func TestPeriodEstimate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     Config
		reports []Snapshot
		wantRPM float64
	}{
		{"one report is not enough", Config{}, []Snapshot{reqQuota(100, 90, sec)}, 100},
		// A bucket of 100 per 10s lacking 10 refills in 1s: the period is
		// in [10s, 11.1s); lacking 50, 5s: in [10s, 10.2s).
		{"two reports", Config{}, []Snapshot{reqQuota(100, 90, sec), reqQuota(100, 50, 5*sec)}, 100 * 60 / (5 * 100.0 / 49)},
		{"the tighter bound wins whatever the order", Config{}, []Snapshot{reqQuota(100, 50, 5*sec), reqQuota(100, 90, sec)}, 100 * 60 / (5 * 100.0 / 49)},
		{"disagreeing reports: the default period", Config{}, []Snapshot{reqQuota(100, 90, sec), reqQuota(100, 50, sec)}, 100},
		{"a configured period wins", Config{Period: 20 * sec}, []Snapshot{reqQuota(100, 90, sec), reqQuota(100, 50, 5*sec)}, 300},
		{"a daily limit", Config{}, []Snapshot{reqQuota(1000, 500, 12*time.Hour), reqQuota(1000, 400, 14*time.Hour+24*time.Minute)}, 1000 / (14.4 * 60 * 1000 / 599)},
		{"headroom", Config{Headroom: 0.1, Period: time.Minute}, []Snapshot{reqQuota(100, 90, sec)}, 90},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustNew(t, tt.cfg)
			for _, s := range tt.reports {
				l.Observe(at(0), s)
			}
			got := l.Status(at(0)).RequestsPerMinute
			// Learning adds Increase per report after the first; none of
			// these cases is below a full share.
			if math.Abs(got-tt.wantRPM) > 1e-6*tt.wantRPM {
				t.Errorf("RPM = %v, want %v", got, tt.wantRPM)
			}
		})
	}
}

func TestOnRateLimitedIsShared(t *testing.T) {
	l := mustNew(t, Config{RPM: 60, Burst: 30})
	// A 429 at 1s asking for 5s empties the bucket: every caller waits
	// until 6s, when five requests' worth has refilled; later callers go at
	// the rate, one a second.
	l.OnRateLimited(at(sec), 5*sec)
	got := delays(l, 0, sec, sec, 2*sec, 2*sec, 2*sec, 2*sec, 2*sec, 2*sec, 2*sec)
	want := []time.Duration{5 * sec, 5 * sec, 4 * sec, 4 * sec, 4 * sec, 5 * sec, 6 * sec, 7 * sec, 8 * sec}
	if !equal(got, want) {
		t.Errorf("delays = %v, want %v", got, want)
	}
	if st := l.Status(at(sec)); !st.BlockedUntil.Equal(at(6 * sec)) {
		t.Errorf("BlockedUntil = %v, want +6s", st.BlockedUntil.Sub(t0))
	}
	if st := l.Status(at(6 * sec)); !st.BlockedUntil.IsZero() {
		t.Errorf("BlockedUntil after the block = %v, want zero", st.BlockedUntil)
	}
	// A shorter Retry-After does not shorten the block.
	l.OnRateLimited(at(10*sec), 5*sec)
	l.OnRateLimited(at(10*sec), sec)
	if st := l.Status(at(10 * sec)); !st.BlockedUntil.Equal(at(15 * sec)) {
		t.Errorf("BlockedUntil = %v, want +15s", st.BlockedUntil.Sub(t0))
	}
}

func TestOnRateLimitedWithoutLimits(t *testing.T) {
	var l Limiter
	l.OnRateLimited(at(0), 2*sec)
	got := delays(&l, 0, 0, sec, 2*sec)
	if want := []time.Duration{2 * sec, sec, 0}; !equal(got, want) {
		t.Errorf("delays = %v, want %v", got, want)
	}
}

func TestExhaustedQuotaWithoutLimitBlocks(t *testing.T) {
	var l Limiter
	l.Observe(at(0), Snapshot{Tokens: Quota{Remaining: 0, Reset: 3 * sec, HasRemaining: true, HasReset: true}})
	if d := l.Reserve(at(0), 10).Delay(); d != 3*sec {
		t.Errorf("delay = %v, want 3s", d)
	}
}

func TestAnthropicInputTokens(t *testing.T) {
	l := mustNew(t, Config{Period: time.Minute})
	l.Observe(at(0), Snapshot{InputTokens: Quota{Limit: 6000, Remaining: 100, Reset: 59 * sec, HasLimit: true, HasRemaining: true, HasReset: true}})
	got := delays(l, 100, 0, 0)
	if want := []time.Duration{0, sec}; !equal(got, want) {
		t.Errorf("delays = %v, want %v", got, want)
	}
}

func TestShareAdapts(t *testing.T) {
	l := mustNew(t, Config{Period: time.Minute, Decrease: 0.1, Increase: 0.05})
	l.Observe(at(0), reqQuota(600, 300, 30*sec))
	l.OnRateLimited(at(0), 0)
	l.OnRateLimited(at(0), 0)
	if got := l.Status(at(0)).RequestsPerMinute; math.Abs(got-480) > 1e-9 {
		t.Fatalf("after two 429s: %v RPM, want 480", got)
	}
	l.Observe(at(0), reqQuota(600, 0, 60*sec))
	if got := l.Status(at(0)).RequestsPerMinute; math.Abs(got-510) > 1e-9 {
		t.Fatalf("after an answer: %v RPM, want 510", got)
	}
	for range 10 {
		l.Observe(at(0), reqQuota(600, 0, 60*sec))
	}
	if got := l.Status(at(0)).RequestsPerMinute; got != 600 {
		t.Fatalf("after many answers: %v RPM, want 600", got)
	}
}

func TestCancel(t *testing.T) {
	l := mustNew(t, Config{RPM: 60})
	l.Reserve(at(0), 0)
	r := l.Reserve(at(0), 0) // at 1s
	l.Reserve(at(0), 0)      // at 2s
	r.Cancel(at(0))
	if d := l.Reserve(at(0), 0).Delay(); d != 2*sec {
		t.Errorf("after a cancel: delay %v, want 2s", d)
	}
	r2 := l.Reserve(at(0), 0) // at 3s
	r2.Cancel(at(3*sec + 1))  // too late: presumed sent
	if d := l.Reserve(at(0), 0).Delay(); d != 4*sec {
		t.Errorf("after a late cancel: delay %v, want 4s", d)
	}
	r3 := l.Reserve(at(10*sec), 0) // at once
	r3.Cancel(at(10 * sec))        // not sent after all
	if d := l.Reserve(at(10*sec), 0).Delay(); d != 0 {
		t.Errorf("after cancelling an immediate reservation: delay %v, want 0", d)
	}
	var zero Reservation
	zero.Cancel(at(0))
}

func TestCancelAfterResetIsIgnored(t *testing.T) {
	l := mustNew(t, Config{RPM: 60, TPM: 600})
	r := l.Reserve(at(0), 10)
	r2 := l.Reserve(at(0), 10)
	if r2.Delay() != sec {
		t.Fatalf("delay = %v, want 1s", r2.Delay())
	}
	l.Adjust(at(0), -5)
	if lv := l.Status(at(0)).Tokens; lv != -15 {
		t.Fatalf("tokens after Adjust(-5) = %v, want -15", lv)
	}
	l.Adjust(at(0), 5)
	r.Cancel(at(-1)) // before its time: given back
	if st := l.Status(at(0)); st.Requests != 0 || st.Tokens != 0 {
		t.Fatalf("after cancel: %+v, want 0 requests and 0 tokens", st)
	}
}

// sleeper is a clock whose Sleep runs a hook first, for tests of what
// happens during a wait.
type sleeper struct {
	*clock.Fake
	hook func()
	err  error
}

func (s *sleeper) Sleep(ctx context.Context, d time.Duration) error {
	if s.hook != nil {
		h := s.hook
		s.hook = nil
		h()
	}
	if s.err != nil {
		return s.err
	}
	return s.Fake.Sleep(ctx, d)
}

func TestWait(t *testing.T) {
	t.Run("sleeps the delay on the clock", func(t *testing.T) {
		clk := clock.NewFake(t0)
		l := mustNew(t, Config{RPM: 60})
		for i := range 3 {
			if _, _, err := l.Wait(t.Context(), clk, 0); err != nil {
				t.Fatalf("wait %d: %v", i, err)
			}
		}
		// A second apart, from a burst of one.
		if got, want := clk.Sleeps(), []time.Duration{sec, sec}; !equal(got, want) {
			t.Errorf("sleeps = %v, want %v", got, want)
		}
	})

	t.Run("fails early when the deadline cannot be met", func(t *testing.T) {
		clk := clock.NewFake(t0)
		l := mustNew(t, Config{RPM: 60})
		l.Reserve(t0, 0)
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		_, _, err := l.Wait(ctx, clk, 0)
		var de *DeadlineError
		if !errors.Is(err, ErrDeadline) || !errors.As(err, &de) || de.Delay != sec {
			t.Fatalf("Wait = %v, want a DeadlineError for 1s", err)
		}
		if len(clk.Sleeps()) != 0 {
			t.Errorf("slept %v, want no sleep", clk.Sleeps())
		}
		// The reservation was given back: the next one is still 1s away.
		if d := l.Reserve(t0, 0).Delay(); d != sec {
			t.Errorf("next delay = %v, want 1s", d)
		}
	})

	t.Run("a done context fails at once", func(t *testing.T) {
		clk := clock.NewFake(t0)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var l Limiter
		if _, _, err := l.Wait(ctx, clk, 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait = %v, want context.Canceled", err)
		}
	})

	t.Run("cancelled while waiting gives the reservation back", func(t *testing.T) {
		clk := &sleeper{Fake: clock.NewFake(t0), err: context.Canceled}
		l := mustNew(t, Config{RPM: 60})
		l.Reserve(t0, 0)
		if _, _, err := l.Wait(t.Context(), clk, 0); !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait = %v, want context.Canceled", err)
		}
		if d := l.Reserve(t0, 0).Delay(); d != sec {
			t.Errorf("next delay = %v, want 1s", d)
		}
	})

	t.Run("a 429 seen during the wait extends it", func(t *testing.T) {
		clk := &sleeper{Fake: clock.NewFake(t0)}
		l := mustNew(t, Config{RPM: 60})
		l.Reserve(t0, 0)
		clk.hook = func() { l.OnRateLimited(t0, 3*sec) }
		_, waited, err := l.Wait(t.Context(), clk, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := clk.Sleeps(), []time.Duration{sec, 2 * sec}; !equal(got, want) || waited != 3*sec {
			t.Errorf("sleeps = %v, waited %v; want %v, 3s", got, waited, want)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"full", Config{RPM: 500, TPM: 90000, Burst: 5, TokenBurst: 3000, Period: time.Minute, Headroom: 0.1, Decrease: 1, Increase: 1}, true},
		{"negative RPM", Config{RPM: -1}, false},
		{"negative TPM", Config{TPM: -1}, false},
		{"negative burst", Config{Burst: -1}, false},
		{"negative token burst", Config{TokenBurst: -1}, false},
		{"negative period", Config{Period: -1}, false},
		{"headroom 0.5", Config{Headroom: 0.5}, false},
		{"negative headroom", Config{Headroom: -0.1}, false},
		{"NaN headroom", Config{Headroom: math.NaN()}, false},
		{"decrease above 1", Config{Decrease: 1.5}, false},
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
	if got := (&DeadlineError{Delay: sec, Left: 500 * time.Millisecond}).Error(); got != "ratelimit: waiting 1s for the rate limit would exceed the context deadline (500ms left)" {
		t.Errorf("Error() = %q", got)
	}
}

func TestConcurrent(t *testing.T) {
	clk := clock.NewFake(t0)
	l := mustNew(t, Config{RPM: 6000, TPM: 600_000})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				now := clk.Now()
				switch (g + i) % 4 {
				case 0:
					if _, _, err := l.Wait(t.Context(), clk, 100); err != nil {
						t.Error(err)
					}
				case 1:
					l.Observe(now, reqQuota(6000, 100, 59*sec))
				case 2:
					l.Reserve(now, 50).Cancel(now)
				case 3:
					l.OnRateLimited(now, time.Millisecond)
					_ = l.Status(now)
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkReserveUnlimited(b *testing.B) {
	var l Limiter
	for b.Loop() {
		l.Reserve(t0, 1000)
	}
}

func BenchmarkReserve(b *testing.B) {
	l := mustNew(b, Config{RPM: 6000, TPM: 1_000_000})
	now := t0
	for b.Loop() {
		now = now.Add(10 * time.Millisecond)
		l.Reserve(now, 1000)
	}
}

func BenchmarkObserve(b *testing.B) {
	var l Limiter
	s := Snapshot{
		Requests: Quota{Limit: 5000, Remaining: 4999, Reset: 12 * time.Millisecond, HasLimit: true, HasRemaining: true, HasReset: true},
		Tokens:   Quota{Limit: 160000, Remaining: 159976, Reset: 9 * time.Millisecond, HasLimit: true, HasRemaining: true, HasReset: true},
	}
	for b.Loop() {
		l.Observe(t0, s)
	}
}

func TestBlindOverflow(t *testing.T) {
	// 100 calls went out blind against a bucket of 10: the provider's
	// bucket is empty, never below.
	l := mustNew(t, Config{Period: time.Minute})
	for range 100 {
		l.Reserve(at(0), 0)
	}
	l.Observe(at(0), reqQuota(10, 0, 60*sec))
	if lv := l.Status(at(0)).Requests; lv != 0 {
		t.Fatalf("level = %v, want 0", lv)
	}
	if d := l.Reserve(at(0), 0).Delay(); d != 6*sec {
		t.Errorf("delay = %v, want 6s", d)
	}
}

// Owe empties the buckets and puts them in debt by what was sent without
// them, so that the next reservations wait behind it; the debt is at most
// a minute of the rate, and an unpaced bucket owes nothing.
func TestOwe(t *testing.T) {
	tests := []struct {
		name             string
		cfg              Config
		requests, tokens int
		owedAt           time.Duration
		reserve          int // tokens per reservation
		times            []time.Duration
		want             []time.Duration
	}{
		{"a full bucket is emptied, then owes 3", Config{RPM: 60, Burst: 5}, 3, 0, 0, 0,
			[]time.Duration{0, 0},
			[]time.Duration{4 * sec, 5 * sec}},
		{"owing nothing still empties it", Config{RPM: 60, Burst: 5}, 0, 0, 0, 0,
			[]time.Duration{0},
			[]time.Duration{sec}},
		{"the debt refills from when it was owed", Config{RPM: 60}, 2, 0, 0, 0,
			[]time.Duration{2 * sec, 2 * sec},
			[]time.Duration{sec, 2 * sec}},
		{"at most a minute of the rate", Config{RPM: 60}, 1000, 0, 0, 0,
			[]time.Duration{0},
			[]time.Duration{61 * sec}},
		{"tokens owed bind", Config{TPM: 6000}, 0, 500, 0, 100,
			[]time.Duration{0},
			[]time.Duration{6 * sec}},
		{"nothing paced: nothing owed", Config{}, 10, 10000, 0, 100,
			[]time.Duration{0, 0},
			[]time.Duration{0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := mustNew(t, tt.cfg)
			l.Owe(at(tt.owedAt), tt.requests, tt.tokens)
			if got := delays(l, tt.reserve, tt.times...); !equal(got, tt.want) {
				t.Errorf("delays = %v, want %v", got, tt.want)
			}
		})
	}
}
