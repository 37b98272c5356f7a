package jobs_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/reask/reask/fleet"
	"github.com/reask/reask/fleet/jobs"
	"github.com/reask/reask/internal/redistest"
	"github.com/reask/reask/stats"
)

// TestMain keeps go-redis's dial errors of the restart tests off the test
// output.
func TestMain(m *testing.M) {
	fleet.RouteRedisLogs(nil)
	m.Run()
}

// testDeadline bounds every test: a bug shows as a failure, not a hang.
const testDeadline = 60 * time.Second

// ctxFor returns the test's context with the test deadline.
func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), testDeadline)
	t.Cleanup(cancel)
	return ctx
}

// connect returns a Queue on srv with a short poll interval, so that
// waits end soon after what they wait for.
func connect(t *testing.T, srv *redistest.Server, edit ...func(*jobs.Config)) *jobs.Queue {
	t.Helper()
	cfg := jobs.Config{URL: srv.URL(), PollInterval: 10 * time.Millisecond, MaxOutage: 30 * time.Second}
	for _, e := range edit {
		e(&cfg)
	}
	q, err := jobs.Connect(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return q
}

// inspect returns a plain client of srv, for tests that look at the keys.
func inspect(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// testSpec is a job's spec: a schema of one integer.
func testSpec() jobs.Spec {
	return jobs.Spec{Schema: json.RawMessage(`{"type":"object","properties":{"n":{"type":"integer"}},"required":["n"]}`),
		Provider: "sim", Model: "test", Mode: "json_schema", MaxAttempts: 2}
}

// lines returns n input lines with ids i001, i002, ….
func lines(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"id":"i%03d","text":"text %d"}`, i+1, i+1)
	}
	return out
}

// jsonl joins lines into a JSONL input.
func jsonl(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// extract is a Handler that extracts the text's length.
func extract(_ context.Context, _ *jobs.Job, it jobs.Item) (stats.Record, error) {
	return stats.FromReport(it.ID, json.RawMessage(fmt.Sprintf(`{"n":%d}`, len(it.Text))), nil, nil), nil
}

// work runs a worker on q until the test ends; the returned function
// stops it and returns Work's error.
func work(t *testing.T, q *jobs.Queue, cfg jobs.WorkerConfig) (stop func() error) {
	t.Helper()
	w := startWorker(t, q, cfg)
	return func() error {
		w.cancel()
		return w.wait()
	}
}

// runningWorker is a worker of a test.
type runningWorker struct {
	cancel context.CancelFunc
	wait   func() error
}

// startWorker runs a worker on q until the test ends.
func startWorker(t *testing.T, q *jobs.Queue, cfg jobs.WorkerConfig) runningWorker {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- q.Work(ctx, cfg) }()
	var once sync.Once
	var err error
	wait := func() error {
		once.Do(func() { err = <-done })
		return err
	}
	t.Cleanup(func() {
		cancel()
		wait()
	})
	return runningWorker{cancel: cancel, wait: wait}
}

// records reads an output file: every line must be a record, and no id
// may be there twice.
func records(t *testing.T, path string) map[string]stats.Record {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]stats.Record{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var r stats.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s:%d is not a record: %v: %s", path, n, err, sc.Bytes())
		}
		if _, dup := out[r.ID]; dup {
			t.Errorf("%s:%d: id %q written twice", path, n, r.ID)
		}
		out[r.ID] = r
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s does not end with a newline", path)
	}
	return out
}

// deadIDs reads a dead-letter file: every id must be there once.
func deadIDs(t *testing.T, path string) map[string]json.RawMessage {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]json.RawMessage{}
	for line := range strings.Lines(string(b)) {
		var e struct {
			ID    string          `json:"id"`
			Input json.RawMessage `json:"input"`
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("%s: %q is not a dead-letter entry: %v", path, line, err)
		}
		if _, dup := out[e.ID]; dup {
			t.Errorf("%s: id %q twice", path, e.ID)
		}
		out[e.ID] = e.Input
	}
	return out
}

// wantIDs checks that recs holds exactly the ids want.
func wantIDs(t *testing.T, recs map[string]stats.Record, want []string) {
	t.Helper()
	if len(recs) != len(want) {
		t.Errorf("%d records, want %d", len(recs), len(want))
	}
	for _, id := range want {
		if _, ok := recs[id]; !ok {
			t.Errorf("no record of %q", id)
		}
	}
}

// ids returns the ids i001 … of n lines.
func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("i%03d", i+1)
	}
	return out
}

// eventually polls cond until it holds, failing the test at the deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testDeadline / 2)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling a condition, not waiting for a time
	}
}

// logBuffer is an io.Writer safe for concurrent use, for a test's logger.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// count returns the number of lines logged that contain s.
func (l *logBuffer) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Count(l.b.String(), s)
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }
