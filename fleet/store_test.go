package fleet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/ratelimit"
)

func TestParseURL(t *testing.T) {
	for _, tt := range []struct {
		url  string
		addr string // "" when an error is expected
		tls  bool
		db   int
		user string
		says string // in the error
	}{
		{url: "redis://localhost:6379/0", addr: "localhost:6379"},
		{url: "redis://127.0.0.1:7000/3", addr: "127.0.0.1:7000", db: 3},
		{url: "redis://cache.internal", addr: "cache.internal:6379"},
		{url: "rediss://app:hunter2@cache.internal:6380/1", addr: "cache.internal:6380", tls: true, db: 1, user: "app"},
		{url: "redis://:hunter2@[::1]:6379", addr: "[::1]:6379"},
		{url: "", says: "--redis is empty"},
		{url: "http://localhost:6379", says: `scheme must be redis:// or rediss://`},
		{url: "localhost:6379", says: "scheme"},
		{url: "redis://:hunter2@host:port/0", says: "does not parse"},
		{url: "redis://:hunter2@host:6379/zero", says: "invalid database number"},
		{url: "redis://:hunter2@host:6379/0?bogus=1", says: "bogus"},
		{url: "redis:///0", says: "no host"},
		{url: "redis://:hunter2@[::1/0", says: "does not parse"},
	} {
		opt, err := ParseURL(tt.url)
		if tt.addr == "" {
			if !errors.Is(err, ErrURL) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "--redis") {
				t.Errorf("ParseURL(%q): %v; want ErrURL naming --redis and saying %q", tt.url, err, tt.says)
			} else if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("ParseURL(%q): the error shows the password: %v", tt.url, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseURL(%q): %v", tt.url, err)
			continue
		}
		if opt.Addr != tt.addr || (opt.TLSConfig != nil) != tt.tls || opt.DB != tt.db || opt.Username != tt.user {
			t.Errorf("ParseURL(%q) = addr %s, TLS %v, db %d, user %q; want %s, %v, %d, %q",
				tt.url, opt.Addr, opt.TLSConfig != nil, opt.DB, opt.Username, tt.addr, tt.tls, tt.db, tt.user)
		}
	}
}

func TestCheckVersion(t *testing.T) {
	for _, tt := range []struct {
		info string
		ok   bool
	}{
		{"# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n", true},
		{"redis_version:6.0.0\r\n", true},
		{"redis_version:7.2.4\r\nvalkey_version:8.0.1\r\n", true},
		{"redis_version:5.0.7\r\n", false},
		{"redis_version:2.8.19\r\n", false},
		{"redis_version:seven\r\n", false},
		{"# Server\r\n", false},
	} {
		err := checkVersion(tt.info)
		if tt.ok != (err == nil) || !tt.ok && !errors.Is(err, ErrVersion) {
			t.Errorf("checkVersion(%q) = %v; want ok %v", tt.info, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), MinVersion) {
			t.Errorf("the error does not say the version needed: %v", err)
		}
	}
}

// Connect checks at once what would otherwise fail every call: a Redis
// that needs a password, a wrong password, a Redis that does not answer.
// Each error names --redis and never shows the password.
func TestConnectErrors(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", "s3cret-pass")
	down := redistest.Start(t)
	down.Kill()
	for _, tt := range []struct {
		name, url string
		want      error
		says      string
	}{
		{"no password", srv.URL(), ErrAuth, "NOAUTH"},
		{"wrong password", "redis://:wrong-pass@" + srv.Addr + "/0", ErrAuth, "WRONGPASS"},
		{"unreachable", "redis://:wrong-pass@" + down.Addr + "/0", ErrUnreachable, "no answer"},
		{"bad URL", "redis://:wrong-pass@" + srv.Addr + "/x", ErrURL, "database"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Connect(t.Context(), Config{URL: tt.url})
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "--redis") {
				t.Fatalf("Connect: %v; want %v naming --redis and saying %q", err, tt.want, tt.says)
			}
			if strings.Contains(err.Error(), "wrong-pass") || strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows a password: %v", err)
			}
		})
	}
	s, err := Connect(t.Context(), Config{URL: "redis://:s3cret-pass@" + srv.Addr + "/0"})
	if err != nil {
		t.Fatalf("with the password: %v", err)
	}
	s.Close()
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{URL: "redis://localhost", Timeout: -time.Millisecond},
		{URL: "redis://localhost", Timeout: 2 * time.Second},
		{URL: "redis://localhost", Recheck: -time.Second},
		{URL: "redis://localhost", ConnectTimeout: -time.Second},
		{URL: "redis://localhost", FailMode: 7},
	} {
		if _, err := New(c); !errors.Is(err, ErrConfig) {
			t.Errorf("New(%+v): %v, want ErrConfig", c, err)
		}
	}
	for in, want := range map[string]FailMode{"open": FailOpen, "closed": FailClosed, "CLOSED": FailClosed, "": FailOpen} {
		if m, err := ParseFailMode(in); err != nil || m != want {
			t.Errorf("ParseFailMode(%q) = %v, %v; want %v", in, m, err, want)
		}
	}
	if _, err := ParseFailMode("shut"); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "--redis-fail") {
		t.Errorf("ParseFailMode(shut): %v", err)
	}
}

// outageCalls are one call of each policy, for the outage tests.
type outageCalls struct {
	lim *Limiter
	br  *Breaker
	bud *Budget
	reg *Registry
}

func newOutageCalls(t *testing.T, p *process) outageCalls {
	lim, err := p.Limiter(acct, LimiterConfig{Config: ratelimit.Config{RPM: 600}})
	must(t, err)
	br, err := p.Breaker(acct, "test", breakerSettings())
	must(t, err)
	bud, err := p.Budget(acct, BudgetConfig{})
	must(t, err)
	reg, err := p.Registry(acct, RegistryConfig{ID: "a"})
	must(t, err)
	return outageCalls{lim, br, bud, reg}
}

// each runs one call of every policy and returns their errors.
func (c outageCalls) each(ctx context.Context, now time.Time) map[string]error {
	errs := map[string]error{}
	r, err := c.lim.Reserve(ctx, now, 10)
	errs["limiter.reserve"] = err
	if err == nil {
		errs["limiter.finish"] = r.Finish(ctx, now, ratelimit.Answer{Status: 200, Tokens: 5})
	}
	errs["limiter.ratelimited"] = c.lim.OnRateLimited(ctx, now, 0)
	_, errs["limiter.status"] = c.lim.Status(ctx, now)
	tk, err := c.br.Allow(ctx, now)
	errs["breaker.allow"] = err
	if err == nil {
		_, errs["breaker.done"] = tk.Done(ctx, now, 0)
	}
	_, errs["breaker.status"] = c.br.Status(ctx, now)
	_, errs["budget.retry"] = c.bud.AllowRetry(ctx)
	errs["budget.success"] = c.bud.OnSuccess(ctx)
	_, errs["budget.tokens"] = c.bud.Tokens(ctx)
	_, errs["registry.beat"] = c.reg.Beat(ctx, now)
	return errs
}

// Redis killed mid-use: every call fails at once with an error that
// matches ErrUnavailable (fail-open), the change is logged once and the
// calls counted; restarted, the first call after the recheck interval
// brings the process back to shared mode, logged once too.
func TestOutageKillAndRestart(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv)
	calls := newOutageCalls(t, p)
	now := t0
	for op, err := range calls.each(ctx(t), now) {
		if err != nil {
			t.Fatalf("%s before the outage: %v", op, err)
		}
	}
	if h := p.Health(); !h.Shared || h.Errors != 0 {
		t.Fatalf("health before the outage: %+v", h)
	}

	srv.Kill()
	for round := range 3 {
		for op, err := range calls.each(ctx(t), now) {
			var ue *UnavailableError
			if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrFailClosed) || !errors.As(err, &ue) {
				t.Fatalf("round %d, %s with Redis killed: %v; want ErrUnavailable", round, op, err)
			}
		}
		now = now.Add(time.Second / 2)
	}
	h := p.Health()
	if h.Shared || !h.Since.Equal(t0) || h.Errors < 3*9 {
		t.Errorf("health during the outage: %+v", h)
	}
	if got := p.log.lines("shared state unavailable"); len(got) != 1 {
		t.Errorf("logged %d lines for the outage, want 1: %q", len(got), got)
	}
	// While Redis is known down, calls do not try it: no round trip, and
	// a skipped call says why.
	before := p.Calls()
	_, err := calls.bud.Tokens(ctx(t))
	if !errors.Is(err, errDown) || p.Calls() != before {
		t.Errorf("a call during the recheck interval: %v, %d round trips; want errDown and none", err, p.Calls()-before)
	}

	srv.Restart()
	p.clk.Advance(DefaultRecheck)
	now = now.Add(DefaultRecheck)
	for op, err := range calls.each(ctx(t), now) {
		if err != nil {
			t.Errorf("%s after the restart: %v", op, err)
		}
	}
	if h := p.Health(); !h.Shared {
		t.Errorf("health after the restart: %+v", h)
	}
	if got := p.log.lines("shared state available again"); len(got) != 1 {
		t.Errorf("logged %d lines for the recovery, want 1: %q", len(got), got)
	}
	for _, line := range p.log.lines("") {
		if strings.Contains(line, acct.APIKey) {
			t.Errorf("a log line holds the API key: %s", line)
		}
	}
}

// A Redis that accepts connections but does not answer (frozen): every
// call gives up after the timeout, not when the caller's context ends, and
// with FailClosed its error says not to call the provider.
func TestOutageFrozenRedisFailClosed(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv, func(c *Config) { c.FailMode = FailClosed; c.Timeout = 20 * time.Millisecond })
	calls := newOutageCalls(t, p)
	for _, err := range calls.each(ctx(t), t0) {
		must(t, err)
	}
	srv.Pause()
	defer srv.Resume()
	// The caller's context has an hour: only the Store's timeout can end
	// the calls.
	cctx, cancel := context.WithTimeout(ctx(t), time.Hour)
	defer cancel()
	// The first timeout may be a stall: refused, but Redis not yet down;
	// the next call times out too, and Redis is down (logged once); the
	// third is refused at once.
	for i := range 3 {
		_, err := calls.lim.Reserve(cctx, t0, 10)
		if !errors.Is(err, ErrFailClosed) || errors.Is(err, ErrUnavailable) || cctx.Err() != nil {
			t.Fatalf("Reserve %d on a frozen Redis: %v (caller's context: %v); want ErrFailClosed", i, err, cctx.Err())
		}
		if !strings.Contains(err.Error(), "not calling the provider") {
			t.Errorf("the error does not say what happens: %v", err)
		}
	}
	if got := p.log.lines("not calling the provider"); len(got) != 1 {
		t.Errorf("logged %q", got)
	}
	if p.Health().Shared {
		t.Error("two timeouts in a row: the store still says shared")
	}
}

// One stall — the calls in flight when Redis (or the machine) pauses, all
// timing out together — costs those calls only: Redis is down after a
// timeout of a call that began once another had timed out with no answer
// since, or after any other failure, at once.
func TestOneStallIsNotAnOutage(t *testing.T) {
	timeout := func(context.Context) error { return fmt.Errorf("read tcp: %w", context.DeadlineExceeded) }
	ok := func(context.Context) error { return nil }
	refused := func(context.Context) error { return errors.New("dial tcp: connection refused") }
	type call = func(context.Context) error
	for _, tt := range []struct {
		name  string
		calls []call
		down  bool
	}{
		{"one timeout", []call{timeout}, false},
		{"timeouts, an answer between", []call{timeout, ok, timeout, ok, timeout}, false},
		{"two timeouts in a row", []call{timeout, timeout}, true},
		{"a refusal", []call{refused}, true},
		{"a timeout, then a refusal", []call{timeout, refused}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Config{URL: "redis://127.0.0.1:1", Clock: clock.NewFake(t0)})
			must(t, err)
			defer s.Close()
			for i, c := range tt.calls {
				if err := s.do(ctx(t), "op", c); err != nil && !errors.Is(err, ErrUnavailable) {
					t.Fatalf("call %d: %v; want nil or ErrUnavailable", i, err)
				}
			}
			if got := !s.Health().Shared; got != tt.down {
				t.Errorf("down %v, want %v", got, tt.down)
			}
		})
	}
	// Calls in flight together all began before any timeout: however many
	// time out, Redis is not down; the next that times out puts it down.
	s, err := New(Config{URL: "redis://127.0.0.1:1", Clock: clock.NewFake(t0)})
	must(t, err)
	defer s.Close()
	const inFlight = 8
	var began, release sync.WaitGroup
	began.Add(inFlight)
	release.Add(1)
	var wg sync.WaitGroup
	for range inFlight {
		wg.Go(func() {
			s.do(ctx(t), "op", func(c context.Context) error {
				began.Done()
				release.Wait()
				return timeout(c)
			})
		})
	}
	began.Wait()
	release.Done()
	wg.Wait()
	if !s.Health().Shared {
		t.Fatalf("%d calls of one stall put Redis down", inFlight)
	}
	s.do(ctx(t), "op", timeout)
	if s.Health().Shared {
		t.Error("a timeout after the stall did not put Redis down")
	}
}

// A caller's cancelled context is the caller's business: it is returned as
// it is and does not count as a Redis failure.
func TestCancelledContextIsNotAnOutage(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv)
	calls := newOutageCalls(t, p)
	cctx, cancel := context.WithCancel(ctx(t))
	cancel()
	if _, err := calls.lim.Reserve(cctx, t0, 1); !errors.Is(err, context.Canceled) {
		t.Fatalf("Reserve with a cancelled context: %v", err)
	}
	if h := p.Health(); !h.Shared || h.Errors != 0 {
		t.Errorf("health: %+v", h)
	}
}

// OnCall sees every round trip with its operation.
func TestOnCall(t *testing.T) {
	srv := redistest.Start(t)
	var ops []string
	p := join(t, srv, func(c *Config) {
		c.OnCall = func(op string, took time.Duration, err error) { ops = append(ops, op) }
	})
	b, err := p.Budget(acct, BudgetConfig{})
	must(t, err)
	must(t, b.OnSuccess(ctx(t)))
	if _, err := b.Tokens(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ops, ",") != "budget.success,budget.tokens" {
		t.Errorf("OnCall saw %v", ops)
	}
}

// Redis killed while many calls are in flight: every call returns, either
// with its answer or with an error matching ErrUnavailable, and nothing
// else; none waits for the caller's context.
func TestOutageKillUnderLoad(t *testing.T) {
	srv := redistest.Start(t)
	p := join(t, srv, func(c *Config) { c.Timeout = 50 * time.Millisecond })
	lim := newLimiter(t, p, ratelimit.Config{RPM: 6_000_000})
	cctx, cancel := context.WithTimeout(ctx(t), time.Hour)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[string]int{}
	started := make(chan struct{})
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				if g == 0 && i == 10 {
					close(started)
				}
				r, err := lim.Reserve(cctx, t0, 10)
				if err == nil {
					err = r.Finish(cctx, t0, ratelimit.Answer{Status: 200, Tokens: 5})
				}
				kind := "ok"
				switch {
				case err == nil:
				case errors.Is(err, ErrUnavailable):
					kind = "unavailable"
				default:
					kind = err.Error()
				}
				mu.Lock()
				counts[kind]++
				mu.Unlock()
			}
		})
	}
	<-started
	srv.Kill()
	wg.Wait()
	for kind, n := range counts {
		if kind != "ok" && kind != "unavailable" {
			t.Errorf("%d calls failed with %q", n, kind)
		}
	}
	if counts["unavailable"] == 0 || cctx.Err() != nil {
		t.Errorf("calls: %v (caller's context %v); want some unavailable after the kill", counts, cctx.Err())
	}
}

// An answer that was on its way when another call failed does not end the
// outage: only a call that began after the latest failure can, so that the
// mode does not flap (and log) with every late answer.
func TestLateAnswerDoesNotEndTheOutage(t *testing.T) {
	var buf logBuffer
	s, err := New(Config{URL: "redis://127.0.0.1:1", Logger: slog.New(slog.NewTextHandler(&buf, nil)), Clock: clock.NewFake(t0)})
	must(t, err)
	defer s.Close()
	entered, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- s.do(ctx(t), "late", func(context.Context) error {
			close(entered)
			<-release
			return nil
		})
	}()
	<-entered
	if err := s.do(ctx(t), "fails", func(context.Context) error { return errors.New("connection reset") }); !errors.Is(err, ErrUnavailable) {
		t.Fatal(err)
	}
	close(release)
	must(t, <-done)
	if s.Health().Shared {
		t.Error("a late answer ended the outage")
	}
	if n := len(buf.lines("available again")); n != 0 {
		t.Errorf("logged %d recoveries", n)
	}
}
