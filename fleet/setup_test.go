package fleet

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask/breaker"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/redistest"
)

// t0 is the tests' start time: a whole number of minutes since the Unix
// epoch, so that a shared breaker's buckets (aligned to Unix time) and a
// local one's (aligned to the first result) coincide.
var t0 = time.Unix(1_700_000_040, 0)

// acct is the account of the tests; its API key must never reach Redis.
var acct = Account{BaseURL: "https://api.example.test/v1", Model: "gpt-test", APIKey: "sk-secret-key-123"}

// process is one member of a test fleet: a Store of its own (its own
// connection pool), on a fake clock, logging to a buffer.
type process struct {
	*Store
	clk *clock.Fake
	log *logBuffer
}

// join connects a new process to srv.
func join(t *testing.T, srv *redistest.Server, edit ...func(*Config)) *process {
	t.Helper()
	p := &process{clk: clock.NewFake(t0), log: &logBuffer{}}
	// A generous timeout: the race detector and a busy machine slow the
	// first connections; the outage tests set their own.
	cfg := Config{URL: srv.URL(), Clock: p.clk, Logger: slog.New(slog.NewTextHandler(p.log, nil)), Timeout: MaxTimeout}
	for _, e := range edit {
		e(&cfg)
	}
	s, err := Connect(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	p.Store = s
	return p
}

// logBuffer is an io.Writer safe for concurrent use.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// lines returns the lines logged that contain s.
func (l *logBuffer) lines(s string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for line := range strings.Lines(l.b.String()) {
		if strings.Contains(line, s) {
			out = append(out, line)
		}
	}
	return out
}

// inspect returns a plain client of srv, for tests that look at the keys.
func inspect(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// must fails the test on an error.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// ctx returns the test's context.
func ctx(t *testing.T) context.Context { return t.Context() }

// breakerSettings are small settings for the breaker tests.
func breakerSettings() breaker.Settings {
	return breaker.Settings{Window: 10 * time.Second, Buckets: 10, MinCalls: 4, Threshold: 0.5,
		CoolDown: 5 * time.Second, Probes: 2, SuccessesToClose: 2, ProbeTimeout: 20 * time.Second}
}

// contextWithDeadline returns the test's context with a deadline d ahead.
func contextWithDeadline(t *testing.T, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), d)
}

// TestMain keeps go-redis's dial errors of the outage tests off the test
// output, as programs do with RouteRedisLogs.
func TestMain(m *testing.M) {
	RouteRedisLogs(nil)
	m.Run()
}
