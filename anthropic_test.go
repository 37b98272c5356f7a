package reask_test

import (
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/anthropic"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/sim"
)

// anthropicPerson is what the Anthropic end-to-end tests extract.
type anthropicPerson struct {
	Name string `json:"name"`
	Age  int    `json:"age"`
}

// anthropicSimClient starts the simulator with a limit of rpm requests per
// minute on a fake clock shared by the simulator, the provider and the
// client, and returns a client of its Messages API.
func anthropicSimClient(t *testing.T, rpm int, cfg reask.Config) (*reask.Client, *sim.Server, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	srv, err := sim.New(sim.Config{Seed: 1, Clock: clk, RPM: rpm})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	p := anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, APIKey: "k", Model: "claude-sonnet-4-5", Clock: clk})
	cfg.Clock, cfg.Random = clk, func() float64 { return 0.5 }
	return reasktest.NewClient(t, p, cfg), srv, clk
}

// TestAnthropicRateLimitHeadersReachTheLimiter: the simulator's
// anthropic-ratelimit-requests-* headers set the client's limiter for the
// provider to the simulator's own bucket: its size, its per-minute rate,
// and, since the fake clock stands still, what is left after each call.
//
// The rate is the Limit per minute while the period is not estimated: by
// default until two answers have come back, always when Period is set.
// After that the estimate from resets rounded up to whole seconds errs
// towards a longer period (30 per minute for three calls at 50 per
// minute), so those cases only check the client never paces faster than
// the provider.
func TestAnthropicRateLimitHeadersReachTheLimiter(t *testing.T) {
	tests := []struct {
		name      string
		rpm       int
		calls     int
		cfg       ratelimit.Config
		estimated bool
	}{
		{"50 per minute, one call", 50, 1, ratelimit.Config{}, false},
		{"1000 per minute, one call", 1000, 1, ratelimit.Config{}, false},
		{"50 per minute, three calls, period a minute", 50, 3, ratelimit.Config{Period: time.Minute}, false},
		{"1000 per minute, two calls, period a minute", 1000, 2, ratelimit.Config{Period: time.Minute}, false},
		{"50 per minute, three calls, period estimated", 50, 3, ratelimit.Config{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv, clk := anthropicSimClient(t, tt.rpm, reask.Config{RateLimit: tt.cfg})
			if st := c.Status(clk.Now()).Limiters["anthropic/claude-sonnet-4-5"]; st.RequestsPerMinute != 0 {
				t.Fatalf("before any call the limiter paces at %v per minute", st.RequestsPerMinute)
			}
			for i := range tt.calls {
				if _, _, err := reask.Extract[anthropicPerson](t.Context(), c, "Mike (45)"); err != nil {
					t.Fatalf("call %d: %v", i+1, err)
				}
			}
			st, ok := c.Status(clk.Now()).Limiters["anthropic/claude-sonnet-4-5"]
			if !ok {
				t.Fatalf("no limiter for the provider in %v", c.Status(clk.Now()).Limiters)
			}
			limit, left := float64(tt.rpm), float64(tt.rpm-tt.calls)
			if st.RequestCapacity != limit || st.Requests != left {
				t.Errorf("limiter %+v; want a bucket of %v holding %v", st, limit, left)
			}
			switch rate := st.RequestsPerMinute; {
			case tt.estimated && (rate <= 0 || rate > limit*(1+1e-12)):
				t.Errorf("paced at %v per minute; want at most the provider's %v", rate, limit)
			case !tt.estimated && math.Abs(rate-limit) > limit*1e-12:
				t.Errorf("paced at %v per minute; want the provider's %v", rate, limit)
			}
			if st.TokensPerMinute != 0 {
				t.Errorf("tokens paced at %v per minute; the simulator sent no token limit", st.TokensPerMinute)
			}
			if sl := clk.Sleeps(); len(sl) != 0 {
				t.Errorf("slept %v within the limit", sl)
			}
			if got := srv.Stats(); got.Requests != int64(tt.calls) || got.RateLimited != 0 {
				t.Errorf("simulator saw %d requests, %d answered 429; want %d and none", got.Requests, got.RateLimited, tt.calls)
			}
		})
	}
}

// TestAnthropicLearntLimitPacesAndRetryAfterIsHonoured: against a
// simulator allowing one request per minute, a second extraction at the
// same instant must wait one minute. With the rate limiter (the default)
// the client learnt the limit from the first answer's headers and waits
// before sending, so the simulator never answers 429; without it, the
// client sends, gets the simulator's 429 with retry-after: 60 and waits
// exactly that.
func TestAnthropicLearntLimitPacesAndRetryAfterIsHonoured(t *testing.T) {
	tests := []struct {
		name     string
		cfg      reask.Config
		limited  int64 // 429 answers from the simulator
		statuses []int // of the second extraction's calls
	}{
		{"limiter learns the limit", reask.Config{}, 0, []int{0}},
		{"retry-after without limiter", reask.Config{NoRateLimit: true}, 1, []int{429, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, srv, clk := anthropicSimClient(t, 1, tt.cfg)
			if _, _, err := reask.Extract[anthropicPerson](t.Context(), c, "Mike (45)"); err != nil {
				t.Fatal(err)
			}
			got, rep, err := reask.Extract[anthropicPerson](t.Context(), c, "Sarah, age 25")
			if err != nil {
				t.Fatal(err)
			}
			if got != (anthropicPerson{"Sarah", 25}) {
				t.Errorf("got %+v", got)
			}
			if sl := clk.Sleeps(); !slices.Equal(sl, []time.Duration{time.Minute}) {
				t.Errorf("slept %v, want exactly one minute", sl)
			}
			var statuses []int
			for _, call := range rep.Records[0].Calls {
				statuses = append(statuses, call.Status)
			}
			if !slices.Equal(statuses, tt.statuses) {
				t.Errorf("calls answered %v, want %v", statuses, tt.statuses)
			}
			if rep.Backoff != time.Minute {
				t.Errorf("report's backoff %s, want 1m0s", rep.Backoff)
			}
			if n := srv.Stats().RateLimited; n != tt.limited {
				t.Errorf("simulator answered %d requests 429, want %d", n, tt.limited)
			}
		})
	}
}

// probingClock is a fake clock that calls probe before each sleep, to
// look at the client while it waits.
type probingClock struct {
	*clock.Fake
	probe func(d time.Duration)
}

func (c probingClock) Sleep(ctx context.Context, d time.Duration) error {
	c.probe(d)
	return c.Fake.Sleep(ctx, d)
}

// TestAnthropicRetryAfterHoldsTheLimiter: a 429 from the Messages API with
// retry-after makes the client wait exactly that long, held in the
// provider's shared limiter (Status shows it blocked until then while the
// client waits), before the one retry, which succeeds.
func TestAnthropicRetryAfterHoldsTheLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		wait   time.Duration
	}{
		{"seconds", map[string]string{"retry-after": "7"}, 7 * time.Second},
		{"fraction of a second", map[string]string{"retry-after": "0.25"}, 250 * time.Millisecond},
		{"spent quota with its headers", map[string]string{"retry-after": "20",
			"anthropic-ratelimit-requests-limit": "50", "anthropic-ratelimit-requests-remaining": "0",
			"anthropic-ratelimit-requests-reset": t0.Add(20 * time.Second).Format(time.RFC3339)}, 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.Header().Set("Content-Type", "application/json")
				if calls.Add(1) == 1 {
					for k, v := range tt.header {
						w.Header().Set(k, v)
					}
					w.WriteHeader(http.StatusTooManyRequests)
					_, _ = io.WriteString(w, `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`)
					return
				}
				_, _ = io.WriteString(w, `{"id":"msg_1","type":"message","role":"assistant","model":"claude-test","stop_reason":"tool_use",
					"content":[{"type":"tool_use","id":"toolu_1","name":"anthropicPerson","input":{"name":"Mike","age":45}}],
					"usage":{"input_tokens":50,"output_tokens":10}}`)
			}))
			defer ts.Close()
			var c *reask.Client
			var blocked []time.Time
			clk := probingClock{Fake: clock.NewFake(t0)}
			clk.probe = func(time.Duration) {
				blocked = append(blocked, c.Status(clk.Now()).Limiters["anthropic/claude-test"].BlockedUntil)
			}
			p := anthropic.NewProvider(anthropic.Config{BaseURL: ts.URL, Model: "claude-test", Clock: clk})
			c = reasktest.NewClient(t, p, reask.Config{Clock: clk, Random: func() float64 { return 0.5 }})
			got, rep, err := reask.Extract[anthropicPerson](t.Context(), c, "Mike (45)")
			if err != nil {
				t.Fatal(err)
			}
			if got != (anthropicPerson{"Mike", 45}) || calls.Load() != 2 {
				t.Errorf("got %+v after %d calls", got, calls.Load())
			}
			if sl := clk.Sleeps(); !slices.Equal(sl, []time.Duration{tt.wait}) {
				t.Errorf("slept %v, want exactly %s", sl, tt.wait)
			}
			if want := []time.Time{t0.Add(tt.wait)}; !slices.EqualFunc(blocked, want, time.Time.Equal) {
				t.Errorf("while waiting the limiter was blocked until %v, want %v", blocked, want)
			}
			if w := rep.Records[0].Calls[1].Waited; w != tt.wait || rep.Backoff != tt.wait {
				t.Errorf("the retry waited %s (report's backoff %s), want %s", w, rep.Backoff, tt.wait)
			}
		})
	}
}
