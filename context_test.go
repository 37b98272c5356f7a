package reask_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/backoff"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/openai"
)

// waitingClock is a fake clock whose Sleep blocks until its context ends,
// as a real backoff would if nothing else happened: only cancellation or
// the deadline ends it. Each wait is announced on sleeping first. (The
// plain clock.Fake returns at once, so a context cannot end during its
// waits.)
type waitingClock struct {
	*clock.Fake
	sleeping chan time.Duration
}

func newWaitingClock() *waitingClock {
	return &waitingClock{Fake: clock.NewFake(start), sleeping: make(chan time.Duration, 1)}
}

func (c *waitingClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	c.sleeping <- d
	<-ctx.Done()
	return ctx.Err()
}

// expiringContext has a deadline an hour away that the test makes pass
// when it likes, by calling expire: a deadline passing in the middle of a
// wait or a call, without a real wait.
type expiringContext struct {
	context.Context // values only
	deadline        time.Time
	done            chan struct{}
	once            sync.Once
}

func newExpiringContext(parent context.Context) *expiringContext {
	return &expiringContext{Context: parent, deadline: time.Now().Add(time.Hour), done: make(chan struct{})}
}

func (c *expiringContext) Deadline() (time.Time, bool) { return c.deadline, true }
func (c *expiringContext) Done() <-chan struct{}       { return c.done }

func (c *expiringContext) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

func (c *expiringContext) expire() { c.once.Do(func() { close(c.done) }) }

// endings are the two ways a caller's context ends, each with the error
// the extraction must wrap and the outcome it must report.
var endings = []struct {
	name        string
	newCtx      func(t *testing.T) (context.Context, func())
	wantErr     error
	wantOutcome reask.Kind
}{
	{
		name: "canceled",
		newCtx: func(t *testing.T) (context.Context, func()) {
			return context.WithCancel(t.Context())
		},
		wantErr:     context.Canceled,
		wantOutcome: reask.KindCanceled,
	},
	{
		name: "deadline passes",
		newCtx: func(t *testing.T) (context.Context, func()) {
			ctx := newExpiringContext(t.Context())
			return ctx, ctx.expire
		},
		wantErr:     context.DeadlineExceeded,
		wantOutcome: reask.KindTimeout,
	},
}

type extraction struct {
	rep *reask.Report
	err error
}

// extractInBackground runs Extract[UserInfo] on its own goroutine.
func extractInBackground(ctx context.Context, c *reask.Client) <-chan extraction {
	done := make(chan extraction, 1)
	go func() {
		_, rep, err := reask.Extract[UserInfo](ctx, c, johnText)
		done <- extraction{rep, err}
	}()
	return done
}

func TestContextEndsDuringBackoff(t *testing.T) {
	failures := []struct {
		name string
		step step
	}{
		{"server error backoff", step{status: 503, body: apiError("server_error", "", "down")}},
		{"rate limit wait in the limiter", step{status: 429, body: apiError("requests", "rate_limit_exceeded", "slow down")}},
		{"Retry-After wait", step{status: 429, header: map[string]string{"Retry-After": "20"}, body: apiError("requests", "rate_limit_exceeded", "slow down")}},
	}
	for _, end := range endings {
		for _, fail := range failures {
			t.Run(end.name+"/"+fail.name, func(t *testing.T) {
				s := newScript(t, fail.step) // a second call would fail the test
				clk := newWaitingClock()
				p := openai.NewProvider(openai.Config{BaseURL: s.srv.URL, Model: "test-model", Clock: clk.Fake})
				c := reasktest.NewClient(t, p, reask.Config{Clock: clk, Random: func() float64 { return 0.5 }, Backoff: backoff.Policy{Base: time.Second, Max: time.Minute}})
				ctx, stop := end.newCtx(t)
				defer stop()
				done := extractInBackground(ctx, c)
				select {
				case <-clk.sleeping:
				case r := <-done:
					t.Fatalf("Extract returned without waiting: %v", r.err)
				}
				stop()
				r := <-done
				if !errors.Is(r.err, end.wantErr) {
					t.Fatalf("error %v, want it to wrap %v", r.err, end.wantErr)
				}
				if n := s.calls(); n != 1 || r.rep.Calls != 1 {
					t.Errorf("server saw %d calls, report %d; want 1: no call after the context ended", n, r.rep.Calls)
				}
				if r.rep.Outcome != end.wantOutcome || r.rep.Records[0].Outcome != end.wantOutcome {
					t.Errorf("outcome %s / %s, want %s", r.rep.Outcome, r.rep.Records[0].Outcome, end.wantOutcome)
				}
			})
		}
	}
}

func TestCancelEndsAnHourLongBackoffOnTheSystemClock(t *testing.T) {
	s := newScript(t, step{status: 503, body: apiError("server_error", "", "down")})
	p := openai.NewProvider(openai.Config{BaseURL: s.srv.URL, Model: "test-model"})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	retrying := make(chan struct{})
	obs := func(_ context.Context, e reask.Event) {
		if e.Kind == reask.EventRetry {
			close(retrying)
		}
	}
	c := reasktest.NewClient(t, p, reask.Config{Observer: obs, Backoff: backoff.Policy{Base: time.Hour, Max: time.Hour, Jitter: backoff.NoJitter}})
	done := extractInBackground(ctx, c)
	select {
	case <-retrying:
	case r := <-done:
		t.Fatalf("Extract returned without a retry: %v", r.err)
	}
	cancel()
	r := <-done // an hour otherwise
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", r.err)
	}
	if s.calls() != 1 || r.rep.Calls != 1 || r.rep.Outcome != reask.KindCanceled {
		t.Errorf("server saw %d calls, report %d, outcome %s", s.calls(), r.rep.Calls, r.rep.Outcome)
	}
}

func TestContextEndsDuringACall(t *testing.T) {
	for _, end := range endings {
		t.Run(end.name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			release := make(chan struct{})
			var n atomic.Int32
			srv := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				n.Add(1)
				arrived <- struct{}{}
				select {
				case <-r.Context().Done():
				case <-release:
				}
			})
			t.Cleanup(func() { close(release) }) // runs before the server's Close
			backup := newScript(t)               // must see no call
			backupProvider := openai.NewProvider(openai.Config{BaseURL: backup.srv.URL, Model: "backup"})
			c, clk := newLoopbackClient(t, srv.URL, reask.Config{Fallbacks: []reask.Provider{backupProvider}})
			ctx, stop := end.newCtx(t)
			defer stop()
			done := extractInBackground(ctx, c)
			select {
			case <-arrived:
			case r := <-done:
				t.Fatalf("Extract returned before its call reached the server: %v", r.err)
			}
			stop()
			r := <-done
			if !errors.Is(r.err, end.wantErr) {
				t.Fatalf("error %v, want it to wrap %v", r.err, end.wantErr)
			}
			if n.Load() != 1 || r.rep.Calls != 1 || backup.calls() != 0 {
				t.Errorf("server saw %d calls, fallback %d, report %d; want 1, 0, 1", n.Load(), backup.calls(), r.rep.Calls)
			}
			if len(clk.Sleeps()) != 0 {
				t.Errorf("slept %v after the context ended", clk.Sleeps())
			}
			if k := callOutcomes(r.rep); !slices.Equal(k, []reask.Kind{end.wantOutcome}) {
				t.Errorf("call outcomes %v, want [%s]", k, end.wantOutcome)
			}
			if r.rep.Outcome != end.wantOutcome || len(r.rep.Switches) != 0 {
				t.Errorf("outcome %s, switches %+v; want %s and no switch", r.rep.Outcome, r.rep.Switches, end.wantOutcome)
			}
		})
	}
}

func TestContextDeadlineBoundsBackoff(t *testing.T) {
	e503 := step{status: 503, body: apiError("server_error", "", "down")}
	e429 := step{status: 429, body: apiError("requests", "rate_limit_exceeded", "slow down")}
	minute := reask.Config{Backoff: backoff.Policy{Base: time.Minute, Max: time.Minute, Jitter: backoff.NoJitter}}
	tests := []struct {
		name   string
		steps  []step
		cfg    reask.Config
		status int // the provider error wrapped; 0 when the wait fits
	}{
		{
			name:   "Retry-After past the deadline",
			steps:  []step{{status: 429, header: map[string]string{"Retry-After": "30"}, body: apiError("requests", "rate_limit_exceeded", "slow down")}},
			status: 429,
		},
		{
			name:   "backoff past the deadline",
			steps:  []step{e503},
			cfg:    minute,
			status: 503,
		},
		{
			name:   "rate-limit backoff past the deadline",
			steps:  []step{e429},
			cfg:    minute,
			status: 429,
		},
		{
			name:  "a backoff within the deadline is waited",
			steps: []step{e503, {content: johnJSON}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.steps, tt.cfg)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			_, rep, err := reask.Extract[UserInfo](ctx, f.client, johnText)
			if tt.status == 0 {
				if err != nil {
					t.Fatalf("Extract: %v", err)
				}
				if sl := f.clock.Sleeps(); !slices.Equal(sl, []time.Duration{500 * time.Millisecond}) {
					t.Errorf("slept %v, want [500ms]", sl)
				}
				return
			}
			if !errors.Is(err, reask.ErrDeadline) || providerStatus(err) != tt.status {
				t.Fatalf("error %v, want ErrDeadline wrapping the %d", err, tt.status)
			}
			if len(f.clock.Sleeps()) != 0 || rep.Calls != 1 || f.script.calls() != 1 {
				t.Errorf("slept %v after %d calls; a wait past the context's deadline must fail at once", f.clock.Sleeps(), rep.Calls)
			}
			if rep.Outcome != reask.KindTimeout {
				t.Errorf("outcome %s, want %s", rep.Outcome, reask.KindTimeout)
			}
		})
	}
}
