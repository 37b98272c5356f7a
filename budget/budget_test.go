package budget

import (
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// op is one step of a scripted run: "r" AllowRetry, "f" OnFailure,
// "s" OnSuccess.
type op struct {
	do     string
	want   bool    // AllowRetry's answer
	tokens float64 // tokens after the step
}

func TestArithmetic(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ops  []op
	}{
		{"defaults: five retries from full, then none", Config{}, []op{
			{"r", true, 9}, {"r", true, 8}, {"r", true, 7}, {"r", true, 6},
			{"r", false, 5}, {"r", false, 4}, {"f", false, 3},
		}},
		{"successes earn back a tenth", Config{}, []op{
			{"f", false, 9}, {"f", false, 8}, {"f", false, 7}, {"f", false, 6}, {"f", false, 5},
			{"r", false, 4}, {"s", false, 4.1}, {"s", false, 4.2},
			{"s", false, 4.3}, {"s", false, 4.4}, {"s", false, 4.5}, {"s", false, 4.6},
			{"s", false, 4.7}, {"s", false, 4.8}, {"s", false, 4.9}, {"s", false, 5},
			{"s", false, 5.1}, {"s", false, 5.2}, {"s", false, 5.3}, {"s", false, 5.4},
			{"s", false, 5.5}, {"s", false, 5.6}, {"s", false, 5.7}, {"s", false, 5.8},
			{"s", false, 5.9}, {"s", false, 6}, {"s", false, 6.1},
			{"r", true, 5.1}, {"r", false, 4.1},
		}},
		{"full bucket stays full", Config{}, []op{{"s", false, 10}, {"s", false, 10}}},
		{"empty bucket stays empty", Config{MaxTokens: 2}, []op{{"f", false, 1}, {"r", false, 0}, {"r", false, 0}, {"s", false, 0.1}}},
		{"exactly half left is not enough", Config{MaxTokens: 4, TokenRatio: 1}, []op{
			{"r", true, 3}, {"r", false, 2}, {"s", false, 3}, {"r", false, 2},
		}},
		{"ratio rounded to thousandths", Config{MaxTokens: 3, TokenRatio: 0.0014}, []op{
			{"f", false, 2}, {"s", false, 2.001}, {"s", false, 2.002},
		}},
		{"ratio above 1", Config{MaxTokens: 100, TokenRatio: 2.5}, []op{
			{"f", false, 99}, {"s", false, 100}, {"f", false, 99}, {"f", false, 98}, {"s", false, 100},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i, o := range tt.ops {
				got := false
				switch o.do {
				case "r":
					got = b.AllowRetry()
				case "f":
					b.OnFailure()
				case "s":
					b.OnSuccess()
				}
				if got != o.want {
					t.Fatalf("step %d (%s): allowed = %v, want %v", i, o.do, got, o.want)
				}
				if tok := b.Tokens(); math.Abs(tok-o.tokens) > 1e-9 {
					t.Fatalf("step %d (%s): tokens = %v, want %v", i, o.do, tok, o.tokens)
				}
			}
		})
	}
}

func TestZeroBudget(t *testing.T) {
	var b Budget
	if got := b.Tokens(); got != DefaultMaxTokens {
		t.Fatalf("zero budget holds %v tokens, want %v", got, DefaultMaxTokens)
	}
	n := 0
	for b.AllowRetry() {
		n++
	}
	if n != 4 {
		t.Errorf("zero budget allowed %d retries in a row, want 4", n)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		c    Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"gRPC maximum", Config{MaxTokens: 1000, TokenRatio: 0.001}, true},
		{"ratio equal to size", Config{MaxTokens: 2, TokenRatio: 2}, true},
		{"negative size", Config{MaxTokens: -1}, false},
		{"size above 1000", Config{MaxTokens: 1001}, false},
		{"negative ratio", Config{TokenRatio: -0.1}, false},
		{"NaN ratio", Config{TokenRatio: math.NaN()}, false},
		{"ratio below a thousandth", Config{TokenRatio: 0.0004}, false},
		{"ratio above the default size", Config{TokenRatio: 11}, false},
		{"ratio above size", Config{MaxTokens: 2, TokenRatio: 2.5}, false},
		{"infinite ratio", Config{TokenRatio: math.Inf(1)}, false},
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
}

// logicalCall runs one logical call with up to maxRetries retries against
// an upstream whose answers come from ok, and returns the requests sent.
func logicalCall(b *Budget, maxRetries int, ok func() bool) int {
	for retry := 0; ; retry++ {
		if ok() {
			b.OnSuccess()
			return retry + 1
		}
		if retry == maxRetries {
			b.OnFailure()
			return retry + 1
		}
		if !b.AllowRetry() {
			return retry + 1
		}
	}
}

// TestOutage is the property the core relies on: under a total outage,
// with five retries allowed per call, a client sends close to one request
// per logical call.
func TestOutage(t *testing.T) {
	tests := []struct {
		cfg  Config
		want int // requests for the first 1000 calls
	}{
		// 4 retries from a full bucket of 10 (the fifth would leave 5).
		{Config{}, 1004},
		// 8 calls use their 5 retries and pay 6 tokens each (100 → 52),
		// the ninth gets 1 retry (→ 50), then no more.
		{Config{MaxTokens: 100, TokenRatio: 0.5}, 1041},
	}
	for _, tt := range tests {
		cfg := tt.cfg
		b, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		const calls = 1000
		requests := 0
		for range calls {
			requests += logicalCall(b, 5, func() bool { return false })
		}
		perCall := float64(requests) / calls
		if requests != tt.want {
			t.Errorf("%+v: %d requests for %d calls, want %d", cfg, requests, calls, tt.want)
		}
		if perCall > 1.1 {
			t.Errorf("%+v: %.3f requests per call, want at most 1.1", cfg, perCall)
		}
		// At steady state no retry at all.
		steady := 0
		for range calls {
			steady += logicalCall(b, 5, func() bool { return false })
		}
		if steady != calls {
			t.Errorf("%+v: %d requests for %d calls at steady state, want %d", cfg, steady, calls, calls)
		}
	}
}

// TestBound checks the documented bound, retries ≤ MaxTokens/2 +
// TokenRatio × successes, at failure rates from 0 to 1, and that a healthy
// upstream's occasional failures are all retried.
func TestBound(t *testing.T) {
	for _, failRate := range []float64{0, 0.01, 0.05, 0.2, 0.5, 0.9, 1} {
		var b Budget
		rng := rand.New(rand.NewPCG(1, uint64(failRate*1000)))
		ok := func() bool { return rng.Float64() >= failRate }
		calls, requests, successes := 10_000, 0, 0
		for range calls {
			n := logicalCall(&b, 5, func() bool {
				r := ok()
				if r {
					successes++
				}
				return r
			})
			requests += n
		}
		retries := requests - calls
		bound := DefaultMaxTokens/2 + DefaultTokenRatio*float64(successes)
		if float64(retries) > bound {
			t.Errorf("fail rate %v: %d retries, above the bound %v", failRate, retries, bound)
		}
		if failRate == 0.01 && successes != calls {
			t.Errorf("fail rate 1%%: %d of %d calls succeeded, want all (every failure retried)", successes, calls)
		}
		t.Logf("fail rate %.2f: %.3f requests per call, %d/%d calls succeeded", failRate, float64(requests)/float64(calls), successes, calls)
	}
}

func TestConcurrent(t *testing.T) {
	var b Budget
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				b.AllowRetry()
				b.OnSuccess()
				b.OnFailure()
			}
		})
	}
	wg.Wait()
	// Each goroutine's loop is -2 + 0.1 tokens when not clamped: the
	// bucket ends empty.
	if got := b.Tokens(); got < 0 || got > 0.1 {
		t.Errorf("tokens = %v, want at most 0.1", got)
	}
}

func BenchmarkAllowRetry(b *testing.B) {
	var bud Budget
	for b.Loop() {
		bud.AllowRetry()
		bud.OnSuccess()
	}
}
