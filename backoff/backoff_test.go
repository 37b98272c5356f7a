package backoff

import (
	"errors"
	"math"
	"testing"
	"time"
)

func fixed(r float64) func() float64 { return func() float64 { return r } }

func TestDelay(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name   string
		p      Policy
		retry  int
		random float64
		want   time.Duration
	}{
		{"zero policy, first retry, full jitter at 0.5", Policy{}, 0, 0.5, 250 * ms},
		{"zero policy, third retry, full jitter at 0.5", Policy{}, 2, 0.5, time.Second},
		{"zero policy capped at 30s", Policy{}, 10, 0.5, 15 * time.Second},
		{"full jitter at 0 waits nothing", Policy{}, 3, 0, 0},
		{"no jitter", Policy{Jitter: NoJitter}, 0, 0.9, 500 * ms},
		{"no jitter grows", Policy{Jitter: NoJitter}, 4, 0.9, 8 * time.Second},
		{"no jitter capped", Policy{Jitter: NoJitter}, 6, 0.9, 30 * time.Second},
		{"equal jitter at 0 is half", Policy{Jitter: EqualJitter}, 1, 0, 500 * ms},
		{"equal jitter at 0.5", Policy{Jitter: EqualJitter}, 1, 0.5, 750 * ms},
		{"1s to 1m, no jitter", Policy{Base: time.Second, Max: time.Minute, Jitter: NoJitter}, 5, 0, 32 * time.Second},
		{"1s to 1m, capped", Policy{Base: time.Second, Max: time.Minute, Jitter: NoJitter}, 6, 0, time.Minute},
		{"multiplier 3", Policy{Base: 100 * ms, Multiplier: 3, Jitter: NoJitter}, 3, 0, 2700 * ms},
		{"multiplier 1 is constant", Policy{Base: 100 * ms, Multiplier: 1, Jitter: NoJitter}, 50, 0, 100 * ms},
		{"multiplier 1.5", Policy{Base: time.Second, Multiplier: 1.5, Jitter: NoJitter}, 2, 0, 2250 * ms},
		{"negative retry counts as first", Policy{Jitter: NoJitter}, -3, 0, 500 * ms},
		{"huge retry does not overflow", Policy{Jitter: NoJitter}, math.MaxInt, 0, 30 * time.Second},
		{"huge retry with full jitter", Policy{}, 1 << 40, 0.25, 7500 * ms},
		{"huge max, huge retry", Policy{Max: math.MaxInt64, Jitter: NoJitter}, 10_000, 0, math.MaxInt64},
		{"huge max, jitter just below 1", Policy{Max: math.MaxInt64}, 10_000, math.Nextafter(1, 0), time.Duration(float64(math.MaxInt64) * math.Nextafter(1, 0))},
		{"base above max gives max", Policy{Base: time.Minute, Max: time.Second, Jitter: NoJitter}, 0, 0, time.Second},
		{"random 1 is clamped below 1", Policy{Base: time.Second, Max: time.Second}, 0, 1, time.Duration(float64(time.Second) * math.Nextafter(1, 0))},
		{"random above 1 is clamped", Policy{Base: time.Second, Max: time.Second}, 0, 7, time.Duration(float64(time.Second) * math.Nextafter(1, 0))},
		{"negative random is clamped to 0", Policy{}, 0, -1, 0},
		{"NaN random is clamped to 0", Policy{}, 0, math.NaN(), 0},
		{"NaN multiplier takes the default", Policy{Multiplier: math.NaN(), Jitter: NoJitter}, 1, 0, time.Second},
		{"multiplier below 1 is treated as 1", Policy{Multiplier: 0.5, Jitter: NoJitter}, 3, 0, 500 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Delay(tt.retry, fixed(tt.random)); got != tt.want {
				t.Errorf("Delay(%d) = %v, want %v", tt.retry, got, tt.want)
			}
		})
	}
}

func TestDelaySequence(t *testing.T) {
	p := Policy{Base: 100 * time.Millisecond, Max: 2 * time.Second, Jitter: NoJitter}
	want := []time.Duration{100, 200, 400, 800, 1600, 2000, 2000}
	for i, w := range want {
		if got := p.Delay(i, nil); got != w*time.Millisecond {
			t.Errorf("Delay(%d) = %v, want %v", i, got, w*time.Millisecond)
		}
	}
}

func TestDelayNilRandom(t *testing.T) {
	p := Policy{Base: time.Second, Max: time.Second}
	for range 100 {
		if d := p.Delay(0, nil); d < 0 || d >= time.Second {
			t.Fatalf("Delay with nil random = %v, want in [0, 1s)", d)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		ok   bool
	}{
		{"zero", Policy{}, true},
		{"1s to 1m, equal jitter", Policy{Base: time.Second, Max: time.Minute, Multiplier: 2, Jitter: EqualJitter}, true},
		{"negative base", Policy{Base: -1}, false},
		{"negative max", Policy{Max: -1}, false},
		{"multiplier below 1", Policy{Multiplier: 0.5}, false},
		{"NaN multiplier", Policy{Multiplier: math.NaN()}, false},
		{"infinite multiplier", Policy{Multiplier: math.Inf(1)}, false},
		{"unknown jitter", Policy{Jitter: 7}, false},
		{"base above max", Policy{Base: time.Minute, Max: time.Second}, false},
		{"base above default max", Policy{Base: time.Hour}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.p.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("Validate() = %v, does not match ErrInvalid", err)
			}
		})
	}
}

func TestJitterString(t *testing.T) {
	for j, want := range map[Jitter]string{FullJitter: "full", NoJitter: "none", EqualJitter: "equal", 9: "Jitter(9)"} {
		if got := j.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(j), got, want)
		}
	}
}

func BenchmarkDelay(b *testing.B) {
	p := Policy{}
	r := fixed(0.5)
	for b.Loop() {
		_ = p.Delay(7, r)
	}
}
