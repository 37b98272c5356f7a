package reask_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/budget"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/fleet"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/schema"
	"github.com/reask/reask/shared"
)

// TestMain keeps go-redis's dial errors of the outage tests off the test
// output, as programs do with fleet.RouteRedisLogs.
func TestMain(m *testing.M) {
	fleet.RouteRedisLogs(nil)
	os.Exit(m.Run())
}

// fleetAccount is the provider account of the fleet tests.
var fleetAccount = shared.Account{BaseURL: "https://api.example.test/v1", Model: "m", APIKey: "sk-fleet-secret"}

// accountProvider is an in-memory provider that says its account, so that
// a client shares its policies: it records when each call came (on the
// tests' fake clock) and answers with fail, or John's JSON when fail is
// nil.
type accountProvider struct {
	name string
	acct shared.Account
	clk  clock.Clock
	fail func() error

	mu    sync.Mutex
	calls []time.Time
}

func (p *accountProvider) Name() string            { return p.name }
func (p *accountProvider) Account() shared.Account { return p.acct }

func (p *accountProvider) Complete(ctx context.Context, req *reask.Request) (*reask.Response, error) {
	p.mu.Lock()
	p.calls = append(p.calls, p.clk.Now())
	p.mu.Unlock()
	if p.fail != nil {
		if err := p.fail(); err != nil {
			return nil, err
		}
	}
	return &reask.Response{Content: johnJSON, Usage: reask.Usage{PromptTokens: 100, CompletionTokens: 20, TotalTokens: 120}}, nil
}

func (p *accountProvider) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

// serverDown is a 503, a failure for the breaker and a retryable one.
func serverDown() error {
	return &reask.ProviderError{StatusCode: http.StatusServiceUnavailable, Kind: reask.KindServer, Message: "down"}
}

// fleetProcess is one process of a test fleet: its own store (connection
// pool, heartbeat) on the fleet's fake clock, and a client through it.
type fleetProcess struct {
	store  *fleet.Store
	prov   *accountProvider
	client *reask.Client
}

// joinFleet connects a process to srv; with a nil srv the client keeps
// local policies only (the fleet without Redis).
func joinFleet(t *testing.T, srv *redistest.Server, clk *clock.Fake, mode fleet.FailMode, cfg reask.Config, fail func() error, edit ...func(*fleet.Config)) *fleetProcess {
	t.Helper()
	p := &fleetProcess{prov: &accountProvider{name: "openai/m", acct: fleetAccount, clk: clk, fail: fail}}
	if srv != nil {
		// A generous timeout: the race detector slows the first
		// connections. A killed Redis refuses at once anyway.
		fc := fleet.Config{URL: srv.URL(), Clock: clk, Timeout: fleet.MaxTimeout, FailMode: mode}
		for _, e := range edit {
			e(&fc)
		}
		s, err := fleet.Connect(t.Context(), fc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		p.store = s
		cfg.Shared = s.Shared()
	}
	cfg = testConfig(cfg, clk)
	cfg.Logger = slog.New(slog.DiscardHandler)
	p.client = reasktest.NewClient(t, p.prov, cfg)
	return p
}

func (p *fleetProcess) extract(t *testing.T) (*reask.Report, error) {
	t.Helper()
	_, rep, err := reask.Extract[UserInfo](t.Context(), p.client, johnText)
	return rep, err
}

// closest returns the shortest time between two of the calls, all
// processes together.
func closest(procs ...*fleetProcess) time.Duration {
	var all []time.Time
	for _, p := range procs {
		p.prov.mu.Lock()
		all = append(all, p.prov.calls...)
		p.prov.mu.Unlock()
	}
	best := time.Duration(1<<63 - 1)
	for i := range all {
		for j := range all {
			if i != j {
				d := all[i].Sub(all[j])
				if d >= 0 && d < best {
					best = d
				}
			}
		}
	}
	return best
}

// Two processes that share a Redis pace to one limit: at 60 requests a
// minute with a burst of one, their calls, taken in turns, are a second
// apart. Without Redis each paces to the limit on its own, and both send
// at once: twice the limit.
func TestSharedLimiterPacesTheFleet(t *testing.T) {
	srv := redistest.Start(t)
	for _, withRedis := range []bool{true, false} {
		clk := clock.NewFake(start)
		cfg := reask.Config{RateLimit: ratelimit.Config{RPM: 60, Burst: 1}}
		on := srv
		if !withRedis {
			on = nil
		}
		a := joinFleet(t, on, clk, fleet.FailOpen, cfg, nil)
		b := joinFleet(t, on, clk, fleet.FailOpen, cfg, nil)
		for range 3 {
			for _, p := range []*fleetProcess{a, b} {
				if _, err := p.extract(t); err != nil {
					t.Fatal(err)
				}
			}
		}
		got := closest(a, b)
		if withRedis && got < time.Second {
			t.Errorf("with Redis: two calls of the fleet %s apart; want at least 1s (60 rpm, burst 1, shared)", got)
		}
		if !withRedis && got != 0 {
			t.Errorf("without Redis: closest calls %s apart; want 0 (each process sends its first at once)", got)
		}
		if withRedis {
			srv.Restart() // the next round starts from empty state
		}
	}
}

// A breaker opened by one process refuses the calls of the other, which
// never reaches the provider.
func TestSharedBreakerOpenedByOneRefusesTheOther(t *testing.T) {
	srv := redistest.Start(t)
	clk := clock.NewFake(start)
	cfg := reask.Config{NoRetryBudget: true, NoRateLimit: true, MaxTransportRetries: -1,
		Breaker: breaker.Settings{MinCalls: 2, Threshold: 0.5, CoolDown: time.Minute}}
	a := joinFleet(t, srv, clk, fleet.FailOpen, cfg, serverDown)
	b := joinFleet(t, srv, clk, fleet.FailOpen, cfg, nil)
	for range 2 {
		if _, err := a.extract(t); err == nil || errors.Is(err, reask.ErrCircuitOpen) {
			t.Fatalf("a failing call: %v; want the provider's 503", err)
		}
	}
	_, err := b.extract(t)
	if !errors.Is(err, reask.ErrCircuitOpen) {
		t.Fatalf("the other process: %v; want ErrCircuitOpen (the breaker a opened)", err)
	}
	if n := b.prov.count(); n != 0 {
		t.Errorf("the other process called the provider %d times; want 0", n)
	}
	st := b.client.Status(clk.Now())
	if len(st.Breakers) != 1 || st.Breakers[0].State != breaker.Open {
		t.Errorf("the other process's Status: breakers %+v; want the shared one, open", st.Breakers)
	}
}

// A process whose provider's shared breaker another opened moves to its
// fallback before the attempt, as it does for its own open breaker: the
// switch says "circuit open", and no call is refused on the way.
func TestSharedOpenBreakerMovesToTheFallback(t *testing.T) {
	srv := redistest.Start(t)
	clk := clock.NewFake(start)
	cfg := reask.Config{NoRetryBudget: true, NoRateLimit: true, MaxTransportRetries: -1,
		Breaker: breaker.Settings{MinCalls: 2, Threshold: 0.5, CoolDown: time.Minute}}
	a := joinFleet(t, srv, clk, fleet.FailOpen, cfg, serverDown)
	for range 2 {
		a.extract(t)
	}
	other := &accountProvider{name: "other/m", acct: shared.Account{BaseURL: "https://other.test/v1", Model: "m"}, clk: clk}
	cfg.Fallbacks = []reask.Provider{other}
	b := joinFleet(t, srv, clk, fleet.FailOpen, cfg, nil)
	rep, err := b.extract(t)
	if err != nil {
		t.Fatal(err)
	}
	if b.prov.count() != 0 || other.count() != 1 {
		t.Errorf("primary called %d times, fallback %d; want 0 and 1", b.prov.count(), other.count())
	}
	if len(rep.Switches) != 1 || rep.Switches[0].Reason != "circuit open" || len(rep.Records[0].Calls) != 1 {
		t.Errorf("switches %+v, calls %+v; want one switch for the open circuit before the attempt, one call", rep.Switches, rep.Records[0].Calls)
	}
}

// The retry budget is the fleet's: once one process has spent it in an
// outage, the other's first failure is not retried.
func TestSharedRetryBudgetIsTheFleets(t *testing.T) {
	srv := redistest.Start(t)
	clk := clock.NewFake(start)
	cfg := reask.Config{NoBreaker: true, NoRateLimit: true, MaxTransportRetries: 100,
		RetryBudget: budget.Config{MaxTokens: 10, TokenRatio: 0.1}}
	a := joinFleet(t, srv, clk, fleet.FailOpen, cfg, serverDown)
	b := joinFleet(t, srv, clk, fleet.FailOpen, cfg, serverDown)
	if _, err := a.extract(t); !errors.Is(err, reask.ErrRetryBudget) {
		t.Fatalf("first process in an outage: %v; want ErrRetryBudget", err)
	}
	spent := a.prov.count()
	if spent < 2 {
		t.Fatalf("first process sent %d requests; want its retries first", spent)
	}
	if _, err := b.extract(t); !errors.Is(err, reask.ErrRetryBudget) {
		t.Fatalf("second process: %v; want ErrRetryBudget at once", err)
	}
	if n := b.prov.count(); n != 1 {
		t.Errorf("second process sent %d requests; want 1 (the budget the first spent is shared)", n)
	}
}

// With Redis killed, a fail-open fleet goes on with local policies — the
// limiter taking half the limit with two processes alive — and counts the
// calls the shared state missed in the report; once Redis is back (and
// the recheck interval has passed), the policies are shared again.
func TestSharedStateFailsOpenAndComesBack(t *testing.T) {
	srv := redistest.Start(t)
	clk := clock.NewFake(start)
	cfg := reask.Config{RateLimit: ratelimit.Config{RPM: 60, Burst: 1}}
	a := joinFleet(t, srv, clk, fleet.FailOpen, cfg, nil)
	b := joinFleet(t, srv, clk, fleet.FailOpen, cfg, nil) // sees 2 processes alive
	rep, err := b.extract(t)
	if err != nil || rep.SharedStateErrors != 0 {
		t.Fatalf("with Redis: %v, %d shared-state errors; want none", err, rep.SharedStateErrors)
	}

	srv.Kill()
	before := b.prov.count()
	for i := range 3 {
		rep, err := b.extract(t)
		if err != nil {
			t.Fatalf("call %d with Redis down: %v; want it served with the local policies", i, err)
		}
		if rep.SharedStateErrors == 0 {
			t.Errorf("call %d with Redis down: no shared-state error counted", i)
		}
	}
	if got := b.prov.count() - before; got != 3 {
		t.Fatalf("%d calls with Redis down; want 3", got)
	}
	b.prov.mu.Lock()
	down := b.prov.calls[before:]
	b.prov.mu.Unlock()
	for i := 1; i < len(down); i++ {
		if gap := down[i].Sub(down[i-1]); gap < 2*time.Second {
			t.Errorf("local calls %s apart; want 2s (the half of 60 rpm that is this process's share)", gap)
		}
	}

	srv.Restart()
	clk.Advance(fleet.DefaultRecheck)
	for range 2 { // the first may be the one that finds Redis back
		rep, err = a.extract(t)
		if err != nil {
			t.Fatal(err)
		}
	}
	if rep.SharedStateErrors != 0 {
		t.Errorf("after the restart: %d shared-state errors; want 0 (shared again)", rep.SharedStateErrors)
	}
	if h := a.store.Health(); !h.Shared {
		t.Errorf("after the restart the store says %+v; want shared", h)
	}
}

// A Redis that stops answering (frozen, not gone) costs each call at most
// the store's timeout: the calls go on with the local policies, counted.
// Once one policy's round trip has timed out, the call's later policies
// are local at once (one Redis round trip tried per call, not one per
// policy), and the second call's timeout — Redis still frozen — puts it
// down.
func TestSharedStateOnAFrozenRedis(t *testing.T) {
	srv := redistest.Start(t)
	clk := clock.NewFake(start)
	var mu sync.Mutex
	var ops []string
	p := joinFleet(t, srv, clk, fleet.FailOpen, reask.Config{}, nil, func(c *fleet.Config) {
		c.Timeout = 50 * time.Millisecond
		c.OnCall = func(op string, _ time.Duration, _ error) {
			if !strings.HasPrefix(op, "registry.") { // the heartbeat's own
				mu.Lock()
				ops = append(ops, op)
				mu.Unlock()
			}
		}
	})
	srv.Pause()
	defer srv.Resume()
	for i := range 2 {
		mu.Lock()
		ops = nil
		mu.Unlock()
		rep, err := p.extract(t)
		if err != nil {
			t.Fatalf("call %d on a frozen Redis: %v", i, err)
		}
		if rep.SharedStateErrors == 0 {
			t.Errorf("call %d on a frozen Redis: no shared-state error counted", i)
		}
		mu.Lock()
		if len(ops) != 1 {
			t.Errorf("call %d on a frozen Redis tried %d round trips %v; want 1", i, len(ops), ops)
		}
		mu.Unlock()
	}
	if h := p.store.Health(); h.Shared {
		t.Errorf("the store still says shared: %+v", h)
	}
}

// With --redis-fail closed, no call reaches the provider while Redis is
// down: the extraction fails with an error matching shared.ErrFailClosed.
func TestSharedStateFailsClosed(t *testing.T) {
	srv := redistest.Start(t)
	clk := clock.NewFake(start)
	p := joinFleet(t, srv, clk, fleet.FailClosed, reask.Config{}, nil)
	srv.Kill()
	rep, err := p.extract(t)
	if !errors.Is(err, shared.ErrFailClosed) || !errors.Is(err, fleet.ErrFailClosed) {
		t.Fatalf("with Redis down and fail-closed: %v; want shared.ErrFailClosed", err)
	}
	if n := p.prov.count(); n != 0 {
		t.Errorf("%d calls reached the provider; want 0", n)
	}
	if rep.SharedStateErrors == 0 {
		t.Error("the refusal is not counted in the report")
	}
	// A refusal, not a failure of the provider: classified as the
	// breaker's are (nothing sent, for a while), not as unknown or as the
	// provider's connection failing.
	if rep.Outcome != reask.KindCircuitOpen {
		t.Errorf("outcome %q; want %q", rep.Outcome, reask.KindCircuitOpen)
	}
}

// sleepHook is a fake clock that calls hook with the number of each sleep
// before sleeping.
type sleepHook struct {
	*clock.Fake
	mu   sync.Mutex
	n    int
	hook func(n int)
}

func (c *sleepHook) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.n++
	n := c.n
	c.mu.Unlock()
	c.hook(n)
	return c.Fake.Sleep(ctx, d)
}

// A batch in fail-closed mode does not burn through its items while Redis
// is down: each refused item waits and runs again, and once Redis is back
// every item succeeds, its report counting the refusals.
func TestSharedFailClosedBatchWaitsForRedis(t *testing.T) {
	srv := redistest.Start(t)
	fake := clock.NewFake(start)
	clk := &sleepHook{Fake: fake}
	clk.hook = func(n int) {
		if n == 3 {
			srv.Restart()
		}
	}
	p := joinFleet(t, srv, fake, fleet.FailClosed, reask.Config{Clock: clk}, nil)
	srv.Kill()
	s, err := schema.For[UserInfo]()
	if err != nil {
		t.Fatal(err)
	}
	tasks := func(yield func(string, reask.Task) bool) {
		for _, id := range []string{"a", "b", "c"} {
			if !yield(id, reask.Task{Schema: s, Input: johnText}) {
				return
			}
		}
	}
	refusals := 0
	for r := range p.client.Batch(t.Context(), tasks, reask.BatchConfig{Concurrency: 1}) {
		if r.Err != nil {
			t.Errorf("item %s: %v; want it to wait for Redis and succeed", r.ID, r.Err)
			continue
		}
		refusals += r.Report.SharedStateErrors
	}
	if n := p.prov.count(); n != 3 {
		t.Errorf("%d calls reached the provider; want 3, all after Redis came back", n)
	}
	if refusals == 0 {
		t.Error("the refusals while Redis was down are not in the reports")
	}
}

// A client's status says whether it is in fleet mode and whether the
// shared state answers.
func TestPolicyStatusShowsTheSharedState(t *testing.T) {
	srv := redistest.Start(t)
	clk := clock.NewFake(start)
	p := joinFleet(t, srv, clk, fleet.FailOpen, reask.Config{}, nil)
	if st := p.client.Status(clk.Now()); !st.Shared || !st.SharedHealthy {
		t.Errorf("in fleet mode, Redis up: Shared %v, SharedHealthy %v; want both", st.Shared, st.SharedHealthy)
	}
	srv.Kill()
	if st := p.client.Status(clk.Now()); !st.Shared || st.SharedHealthy {
		t.Errorf("in fleet mode, Redis down: Shared %v, SharedHealthy %v; want shared, not healthy", st.Shared, st.SharedHealthy)
	}
	local := joinFleet(t, nil, clk, fleet.FailOpen, reask.Config{}, nil)
	if st := local.client.Status(clk.Now()); st.Shared || st.SharedHealthy {
		t.Errorf("without Redis: Shared %v, SharedHealthy %v; want neither", st.Shared, st.SharedHealthy)
	}
}
