package reask_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/backoff"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/ratelimit"
)

// newLoopbackClient is newFixture's client for a server the test runs
// itself: an OpenAI provider at baseURL, a fake clock, jitter fixed at 0.5
// and a backoff of 1s doubling up to a minute (full jitter: waits of 500ms,
// 1s, 2s, …).
func newLoopbackClient(t *testing.T, baseURL string, cfg reask.Config) (*reask.Client, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(start)
	p := openai.NewProvider(openai.Config{BaseURL: baseURL, APIKey: "sk-test-secret", Model: "test-model", Clock: clk})
	return reasktest.NewClient(t, p, testConfig(cfg, clk)), clk
}

// callOutcomes returns the outcome of every call of every attempt, in order.
func callOutcomes(rep *reask.Report) []reask.Kind {
	var out []reask.Kind
	for _, a := range rep.Records {
		for _, c := range a.Calls {
			out = append(out, c.Outcome)
		}
	}
	return out
}

// callStatuses returns the HTTP status of every call, 0 for those that got
// no error answer.
func callStatuses(rep *reask.Report) []int {
	var out []int
	for _, a := range rep.Records {
		for _, c := range a.Calls {
			out = append(out, c.Status)
		}
	}
	return out
}

func sumDurations(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum
}

func TestRequestTimeoutAndConflictAreRetried(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{"408 with an API error", http.StatusRequestTimeout, apiError("timeout", "", "Request timed out")},
		{"408 from a proxy, no JSON", http.StatusRequestTimeout, "<html>408 Request Timeout</html>"},
		{"409 with an API error", http.StatusConflict, apiError("conflict", "", "Another request is in progress")},
		{"409 with an empty body", http.StatusConflict, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fail := step{status: tt.status, body: tt.body}
			f := newFixture(t, []step{fail, fail, fail, {content: johnJSON}}, reask.Config{})
			got, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if got.Name != "John Doe" {
				t.Errorf("got %+v", got)
			}
			if n := f.script.calls(); n != 4 || rep.Calls != 4 || rep.Attempts != 1 {
				t.Errorf("server saw %d calls, report %d calls in %d attempts; want 4 calls in 1 attempt", n, rep.Calls, rep.Attempts)
			}
			wantSleeps := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}
			if sl := f.clock.Sleeps(); !slices.Equal(sl, wantSleeps) {
				t.Errorf("slept %v, want %v (exponential backoff, full jitter at 0.5)", sl, wantSleeps)
			}
			if rep.Backoff != sumDurations(wantSleeps) {
				t.Errorf("report.Backoff = %s, want %s", rep.Backoff, sumDurations(wantSleeps))
			}
			wantKinds := []reask.Kind{reask.KindServer, reask.KindServer, reask.KindServer, reask.KindOK}
			if k := callOutcomes(rep); !slices.Equal(k, wantKinds) {
				t.Errorf("call outcomes %v, want %v", k, wantKinds)
			}
			if s := callStatuses(rep); !slices.Equal(s, []int{tt.status, tt.status, tt.status, 0}) {
				t.Errorf("call statuses %v", s)
			}
			calls := rep.Records[0].Calls
			for i, want := range append([]time.Duration{0}, wantSleeps...) {
				if calls[i].Waited != want {
					t.Errorf("call %d waited %s, want %s", i+1, calls[i].Waited, want)
				}
			}
			if rep.Outcome != reask.KindOK {
				t.Errorf("outcome %s", rep.Outcome)
			}
		})
	}
}

func TestRequestTimeoutAndConflictGiveUpAfterTheRetryLimit(t *testing.T) {
	for _, status := range []int{http.StatusRequestTimeout, http.StatusConflict} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			fail := step{status: status, body: apiError("server_error", "", "try again")}
			f := newFixture(t, []step{fail, fail, fail}, reask.Config{MaxTransportRetries: 2})
			_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			if providerStatus(err) != status {
				t.Fatalf("error %v, want the %d wrapped", err, status)
			}
			if f.script.calls() != 3 || rep.Calls != 3 {
				t.Errorf("server saw %d calls, report %d; want 3 (1 + 2 retries)", f.script.calls(), rep.Calls)
			}
			if sl := f.clock.Sleeps(); !slices.Equal(sl, []time.Duration{500 * time.Millisecond, time.Second}) {
				t.Errorf("slept %v", sl)
			}
			if rep.Outcome != reask.KindServer || rep.Records[0].Outcome != reask.KindServer {
				t.Errorf("outcome %s / %s, want %s", rep.Outcome, rep.Records[0].Outcome, reask.KindServer)
			}
		})
	}
}

func TestRateLimitWithoutHeadersBacksOffExponentially(t *testing.T) {
	e429 := step{status: 429, body: apiError("requests", "rate_limit_exceeded", "Rate limit reached for requests")}
	tests := []struct {
		name   string
		cfg    reask.Config
		failed int
		want   []time.Duration
	}{
		{
			name:   "full jitter, paced by the shared limiter",
			failed: 3,
			want:   []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second},
		},
		{
			name:   "full jitter, no limiter",
			cfg:    reask.Config{NoRateLimit: true},
			failed: 3,
			want:   []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second},
		},
		{
			name:   "no jitter, capped at the policy's max",
			cfg:    reask.Config{Backoff: backoff.Policy{Base: time.Second, Max: 5 * time.Second, Jitter: backoff.NoJitter}},
			failed: 5,
			want:   []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			steps := make([]step, 0, tt.failed+1)
			for range tt.failed {
				steps = append(steps, e429)
			}
			steps = append(steps, step{content: johnJSON})
			f := newFixture(t, steps, tt.cfg)
			_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if sl := f.clock.Sleeps(); !slices.Equal(sl, tt.want) {
				t.Errorf("slept %v, want %v", sl, tt.want)
			}
			if rep.Backoff != sumDurations(tt.want) {
				t.Errorf("report.Backoff = %s, want %s", rep.Backoff, sumDurations(tt.want))
			}
			if n := f.script.calls(); n != tt.failed+1 || rep.Calls != n || rep.Attempts != 1 {
				t.Errorf("server saw %d calls, report %d calls in %d attempts; want %d calls in 1 attempt", n, rep.Calls, rep.Attempts, tt.failed+1)
			}
			kinds := callOutcomes(rep)
			for i, k := range kinds[:len(kinds)-1] {
				if k != reask.KindRateLimit || rep.Records[0].Calls[i].Status != 429 {
					t.Errorf("call %d: outcome %s status %d, want %s 429", i+1, k, rep.Records[0].Calls[i].Status, reask.KindRateLimit)
				}
			}
		})
	}
}

// resetServer answers the first request by resetting the connection (an
// RST, not a FIN: the socket closes with SO_LINGER 0) after reading it
// whole, and every later request with a valid answer.
func resetServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var n atomic.Int32
	srv := httptestServer(t, func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if n.Add(1) > 1 {
			io.WriteString(w, completion(johnJSON, "", false))
			return
		}
		conn, _, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		tcp, ok := conn.(*net.TCPConn)
		if !ok {
			t.Errorf("hijacked a %T, want a *net.TCPConn", conn)
			conn.Close()
			return
		}
		if err := tcp.SetLinger(0); err != nil {
			t.Errorf("SetLinger: %v", err)
		}
		tcp.Close()
	})
	return srv, &n
}

// closedAddr returns a loopback address nothing listens on: a listener's,
// closed.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestConnectionFailuresAreRetried(t *testing.T) {
	tests := []struct {
		name  string
		errno syscall.Errno
		// reached is how many requests reach a server: the reset one does,
		// the refused one does not.
		reached int
		// setup returns the provider's base URL, a hook run when the
		// first retry is announced, and a count of the requests received.
		setup func(t *testing.T) (url string, onRetry func(), served func() int)
	}{
		{
			name:    "connection reset",
			errno:   syscall.ECONNRESET,
			reached: 2,
			setup: func(t *testing.T) (string, func(), func() int) {
				srv, n := resetServer(t)
				return srv.URL, func() {}, func() int { return int(n.Load()) }
			},
		},
		{
			name:    "connection refused",
			errno:   syscall.ECONNREFUSED,
			reached: 1,
			setup: func(t *testing.T) (string, func(), func() int) {
				// Nothing listens at the address until the first retry is
				// announced; then a server starts there.
				addr := closedAddr(t)
				var n atomic.Int32
				listen := func() {
					ln, err := net.Listen("tcp", addr)
					if err != nil {
						t.Errorf("listening again on %s: %v", addr, err)
						return
					}
					srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						n.Add(1)
						io.WriteString(w, completion(johnJSON, "", false))
					}))
					srv.Listener.Close()
					srv.Listener = ln
					srv.Start()
					t.Cleanup(srv.Close)
				}
				return "http://" + addr, listen, func() int { return int(n.Load()) }
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url, onRetry, served := tt.setup(t)
			var retryErrs []error
			obs := func(_ context.Context, e reask.Event) {
				if e.Kind == reask.EventRetry {
					if len(retryErrs) == 0 {
						onRetry()
					}
					retryErrs = append(retryErrs, e.Err)
				}
			}
			c, clk := newLoopbackClient(t, url, reask.Config{Observer: obs})
			got, rep, err := reask.Extract[UserInfo](t.Context(), c, johnText)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if got.Name != "John Doe" {
				t.Errorf("got %+v", got)
			}
			if len(retryErrs) != 1 || !errors.Is(retryErrs[0], tt.errno) {
				t.Fatalf("retried after %v, want one retry after an error wrapping %v", retryErrs, tt.errno)
			}
			if rep.Calls != 2 || rep.Attempts != 1 || served() != tt.reached {
				t.Errorf("report: %d calls in %d attempts, %d received; want 2 calls in 1 attempt, %d received", rep.Calls, rep.Attempts, served(), tt.reached)
			}
			if k := callOutcomes(rep); !slices.Equal(k, []reask.Kind{reask.KindConnection, reask.KindOK}) {
				t.Errorf("call outcomes %v, want [connection ok]; first call: %q", k, rep.Records[0].Calls[0].Message)
			}
			if st := rep.Records[0].Calls[0].Status; st != 0 {
				t.Errorf("a connection failure recorded HTTP status %d", st)
			}
			if sl := clk.Sleeps(); !slices.Equal(sl, []time.Duration{500 * time.Millisecond}) {
				t.Errorf("slept %v, want [500ms]", sl)
			}
			if rep.Backoff != 500*time.Millisecond || rep.Records[0].Calls[1].Waited != 500*time.Millisecond {
				t.Errorf("backoff %s, second call waited %s; want 500ms", rep.Backoff, rep.Records[0].Calls[1].Waited)
			}
			if rep.Outcome != reask.KindOK {
				t.Errorf("outcome %s", rep.Outcome)
			}
		})
	}
}

// A refused connection (nothing listens at the address) is retried once by
// default, as Config.MaxRefusedRetries says, and never more than
// MaxTransportRetries allows.
func TestConnectionRefusedGivesUpAfterTheRetryLimit(t *testing.T) {
	tests := []struct {
		name  string
		cfg   reask.Config
		calls int
		slept []time.Duration
	}{
		{"default: one retry", reask.Config{}, 2, []time.Duration{500 * time.Millisecond}},
		{"no retry", reask.Config{MaxRefusedRetries: -1}, 1, nil},
		{"more asked for", reask.Config{MaxRefusedRetries: 3}, 4, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second}},
		{"transport retries bound it", reask.Config{MaxRefusedRetries: 10, MaxTransportRetries: 2}, 3,
			[]time.Duration{500 * time.Millisecond, time.Second}},
		{"transport retries alone do not raise it", reask.Config{MaxTransportRetries: 8}, 2, []time.Duration{500 * time.Millisecond}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, clk := newLoopbackClient(t, "http://"+closedAddr(t), tt.cfg)
			_, rep, err := reask.Extract[UserInfo](t.Context(), c, johnText)
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("error %v, want it to wrap ECONNREFUSED", err)
			}
			if rep.Calls != tt.calls || rep.Attempts != 1 {
				t.Errorf("%d calls in %d attempt(s), want %d in 1", rep.Calls, rep.Attempts, tt.calls)
			}
			for i, k := range callOutcomes(rep) {
				if k != reask.KindConnection {
					t.Errorf("call %d: outcome %s, want connection", i+1, k)
				}
			}
			if sl := clk.Sleeps(); !slices.Equal(sl, tt.slept) {
				t.Errorf("slept %v, want %v", sl, tt.slept)
			}
			if rep.Outcome != reask.KindConnection || rep.Records[0].Outcome != reask.KindConnection {
				t.Errorf("outcome %s / %s, want %s", rep.Outcome, rep.Records[0].Outcome, reask.KindConnection)
			}
		})
	}
}

// A call the policies refuse appears in its attempt as a call that was not
// sent when the refusal is an open circuit; a rate limiter's wait cut short
// by the deadline is no call at all.
func TestRefusedCallsInTheReport(t *testing.T) {
	e503 := step{status: 503, body: apiError("server_error", "", "down")}
	tests := []struct {
		name    string
		cfg     reask.Config
		wantErr error
		want    []reask.Kind // the second extraction's calls
	}{
		{
			name:    "an open circuit",
			cfg:     reask.Config{Breaker: breaker.Settings{MinCalls: 1, CoolDown: time.Minute}},
			wantErr: reask.ErrCircuitOpen,
			want:    []reask.Kind{reask.KindCircuitOpen},
		},
		{
			name:    "a limiter's wait that would pass the deadline",
			cfg:     reask.Config{NoBreaker: true, Timeout: time.Minute, RateLimit: ratelimit.Config{RPM: 1, Burst: 1}},
			wantErr: reask.ErrDeadline,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			cfg.MaxTransportRetries, cfg.NoRetryBudget = -1, true
			f := newFixture(t, []step{e503}, cfg)
			var pe *reask.ProviderError
			if _, _, err := reask.Extract[UserInfo](t.Context(), f.client, johnText); !errors.As(err, &pe) || pe.StatusCode != 503 {
				t.Fatalf("first extraction: %v, want the 503", err)
			}
			_, rep, err := reask.Extract[UserInfo](t.Context(), f.client, johnText)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("second extraction: %v, want %v", err, tt.wantErr)
			}
			if f.script.calls() != 1 || rep.Calls != 0 || len(rep.Records) != 1 {
				t.Fatalf("server saw %d calls, report %d sent in %d attempts; want 1, 0 and 1", f.script.calls(), rep.Calls, len(rep.Records))
			}
			if got := callOutcomes(rep); !slices.Equal(got, tt.want) {
				t.Errorf("calls recorded %v, want %v", got, tt.want)
			}
			if calls := rep.Records[0].Calls; len(calls) == 1 && calls[0].Message != err.Error() {
				t.Errorf("the refused call's message %q, want the error %q", calls[0].Message, err.Error())
			}
		})
	}
}
