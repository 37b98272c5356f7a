package metrics_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/metrics"
	"github.com/reask/reask/provider/openai"
	"github.com/reask/reask/ratelimit"
	"github.com/reask/reask/repair"
	"github.com/reask/reask/schema"
)

var start = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

// answers is a fake OpenAI-compatible server answering with bodies in turn
// (a status of 0 means 200).
type answers struct {
	mu    sync.Mutex
	steps []answer
	n     int
}

type answer struct {
	status int
	body   string
}

func (a *answers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	a.mu.Lock()
	st := a.steps[a.n%len(a.steps)]
	a.n++
	a.mu.Unlock()
	if st.status == 0 {
		st.status = 200
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st.status)
	io.WriteString(w, st.body)
}

func content(s string) answer {
	b, _ := json.Marshal(map[string]any{
		"model":   "m",
		"choices": []any{map[string]any{"message": map[string]any{"content": s}, "finish_reason": "stop"}},
		"usage":   map[string]any{"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
	})
	return answer{body: string(b)}
}

var personSchema = schema.MustCompile(`{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}`)

func newClient(t *testing.T, c *metrics.Collector, clk *clock.Fake, steps ...answer) *reask.Client {
	t.Helper()
	srv := httptest.NewServer(&answers{steps: steps})
	t.Cleanup(srv.Close)
	p := openai.NewProvider(openai.Config{BaseURL: srv.URL, Model: "m", Name: "up/m", Clock: clk})
	client := reasktest.NewClient(t, p, reask.Config{Clock: clk, Random: func() float64 { return 0 }, Observer: c.Observe, MaxTransportRetries: 1})
	c.Watch(client.Status)
	return client
}

func TestMetricsAfterTraffic(t *testing.T) {
	clk := clock.NewFake(start)
	c, err := metrics.New(metrics.Config{Clock: clk, Window: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, c, clk,
		answer{status: 503, body: `{"error":{"message":"down","type":"server_error"}}`},
		content("```json\n{\"name\":\"Ann\",\"age\":\"30\"}\n```"), // fenced, age as a string: repaired
		content(`{"name":"Bob"}`), // missing age: re-asked
		content(`{"name":"Bob","age":41}`),
	)
	task := reask.Task{Schema: personSchema, Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}}}
	if _, _, err := client.Run(t.Context(), task); err != nil {
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if _, _, err := client.Run(t.Context(), task); err != nil {
		t.Fatal(err)
	}
	if _, _, err := client.Send(t.Context(), &reask.Request{Messages: task.Messages}); err != nil {
		t.Fatal(err) // the 503 step again, retried, then a plain answer
	}
	c.ObserveHTTP("/v1/chat/completions", "schema", 200, 3*time.Millisecond)

	want := map[string]float64{
		`reask_results_total{operation="extract",outcome="ok"}`:                            2,
		`reask_results_total{operation="call",outcome="ok"}`:                               1,
		`reask_attempt_outcomes_total{outcome="schema",provider="up/m"}`:                   1,
		`reask_calls_total{outcome="server",provider="up/m"}`:                              2,
		`reask_calls_total{outcome="ok",provider="up/m"}`:                                  4,
		`reask_retries_total{provider="up/m"}`:                                             2,
		`reask_repairs_total{kind="markdown_fence"}`:                                       2,
		`reask_repairs_total{kind="string_to_integer"}`:                                    1,
		`reask_tokens_total{type="prompt"}`:                                                40,
		`reask_tokens_total{type="completion"}`:                                            20,
		`reask_wasted_tokens_total`:                                                        15,
		`reask_attempts_count{operation="extract"}`:                                        2,
		`reask_attempts_sum{operation="extract"}`:                                          3,
		`reask_breaker_state{provider="up/m"}`:                                             0,
		`reask_breaker_trips_total`:                                                        0,
		`reask_http_requests_total{code="200",kind="schema",route="/v1/chat/completions"}`: 1,
	}
	got := scrape(t, c)
	for series, v := range want {
		if g, ok := got[series]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", series, g, ok, v)
		}
	}
	for series := range got {
		if !strings.HasPrefix(series, "reask_") {
			t.Errorf("series %s lacks the reask_ prefix", series)
		}
	}
	if n := testutil.CollectAndCount(c.Registry(), "reask_call_wait_seconds"); n != 1 {
		t.Errorf("call wait histograms: %d", n)
	}

	s := c.Snapshot()
	if s.Extractions != (metrics.Totals{Total: 2, OK: 2}) || s.Calls != (metrics.Totals{Total: 1, OK: 1}) || s.SuccessRate != 1 {
		t.Errorf("totals %+v %+v rate %v", s.Extractions, s.Calls, s.SuccessRate)
	}
	if s.Attempts[1] != 1 || s.Attempts[2] != 1 || s.ErrorKinds["server"] != 2 || s.ErrorKinds["schema"] != 1 {
		t.Errorf("attempts %v error kinds %v", s.Attempts, s.ErrorKinds)
	}
	if s.Repairs[string(repair.KindMarkdownFence)] != 2 || s.Tokens != (metrics.Tokens{Prompt: 40, Completion: 20, Total: 60, Wasted: 15}) {
		t.Errorf("repairs %v tokens %+v", s.Repairs, s.Tokens)
	}
	if len(s.Timeline) != 10 || s.Timeline[9].T != start.Unix()+1 {
		t.Fatalf("timeline %+v", s.Timeline)
	}
	if p := s.Timeline[8]; p.Results != 1 || p.Attempts != 1 || p.Retries != 1 || p.Tokens != 15 {
		t.Errorf("first second %+v", p)
	}
	if p := s.Timeline[9]; p.Results != 2 || p.Attempts != 2 || p.Wasted != 15 || p.Tokens != 45 {
		t.Errorf("second second %+v", p)
	}
	if len(s.Providers) != 1 || s.Providers[0].Name != "up/m" || s.Providers[0].State != "closed" {
		t.Errorf("providers %+v", s.Providers)
	}
	if s.HTTP["200"] != 1 {
		t.Errorf("http %v", s.HTTP)
	}
}

// scrape renders the registry in the text format and reads it back into
// series → value.
func scrape(t *testing.T, c *metrics.Collector) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	c.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	return ParseText(t, rec.Body.String())
}

func TestTimelineForgetsOldSeconds(t *testing.T) {
	clk := clock.NewFake(start)
	c, _ := metrics.New(metrics.Config{Clock: clk, Window: 3 * time.Second})
	res := func() {
		c.Observe(t.Context(), reask.Event{Kind: reask.EventResult, Report: &reask.Report{Mode: reask.ModeJSONSchema, Outcome: reask.KindSchema, Attempts: 3}})
	}
	res()
	clk.Advance(2 * time.Second)
	res()
	res()
	s := c.Snapshot()
	if len(s.Timeline) != 3 || s.Timeline[0].Results != 1 || s.Timeline[2].Results != 2 || s.Timeline[2].Failed != 2 {
		t.Fatalf("timeline %+v", s.Timeline)
	}
	clk.Advance(3 * time.Second) // the ring has gone round: the old slot must not come back
	res()
	s = c.Snapshot()
	var total int64
	for _, p := range s.Timeline {
		total += p.Results
	}
	if total != 1 || s.Extractions.Failed != 4 || s.Outcomes["schema"] != 4 || s.SuccessRate != 0 || s.Attempts[3] != 4 {
		t.Errorf("timeline %+v totals %+v outcomes %v", s.Timeline, s.Extractions, s.Outcomes)
	}
}

func TestWatchedStatusIsMerged(t *testing.T) {
	clk := clock.NewFake(start)
	c, _ := metrics.New(metrics.Config{Clock: clk})
	until := start.Add(30 * time.Second)
	c.Watch(func(now time.Time) reask.PolicyStatus {
		return reask.PolicyStatus{
			Breakers:     []breaker.Status{{Key: "a/m", State: breaker.Open, Until: until, Failures: 3}},
			BreakerTrips: 1,
			Limiters:     map[string]ratelimit.Status{"a/m": {BlockedUntil: start.Add(2 * time.Second), RequestsPerMinute: 600}},
			RetryTokens:  map[string]float64{"a/m": 2.5},
		}
	})
	c.Watch(func(now time.Time) reask.PolicyStatus {
		return reask.PolicyStatus{Breakers: []breaker.Status{{Key: "a/m", State: breaker.Closed}, {Key: "b/m", State: breaker.HalfOpen}}, BreakerTrips: 2}
	})
	got := scrape(t, c)
	want := map[string]float64{
		`reask_breaker_state{provider="a/m"}`:                 2,
		`reask_breaker_state{provider="b/m"}`:                 1,
		`reask_breaker_failure_rate{provider="a/m"}`:          1,
		`reask_breaker_trips_total`:                           3,
		`reask_ratelimit_blocked_seconds{provider="a/m"}`:     2,
		`reask_ratelimit_requests_per_minute{provider="a/m"}`: 600,
		`reask_retry_budget_tokens{provider="a/m"}`:           2.5,
	}
	for series, v := range want {
		if got[series] != v {
			t.Errorf("%s = %v, want %v", series, got[series], v)
		}
	}
	s := c.Snapshot()
	if len(s.Providers) != 2 || s.Providers[0].State != "open" || !s.Providers[0].OpenUntil.Equal(until) || s.Providers[1].State != "half-open" || s.BreakerTrips != 3 {
		t.Errorf("providers %+v trips %d", s.Providers, s.BreakerTrips)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, w := range []time.Duration{-time.Second, time.Millisecond, 48 * time.Hour} {
		if _, err := metrics.New(metrics.Config{Window: w}); err == nil {
			t.Errorf("window %s accepted", w)
		}
	}
	c, err := metrics.New(metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := metrics.New(metrics.Config{Registry: c.Registry()}); err == nil {
		t.Error("registering twice in one registry must fail")
	}
}

func TestObserveIgnoresIncompleteEvents(t *testing.T) {
	c, _ := metrics.New(metrics.Config{})
	for _, k := range []reask.EventKind{reask.EventCall, reask.EventAttempt, reask.EventSwitch, reask.EventResult, "other"} {
		c.Observe(context.Background(), reask.Event{Kind: k})
	}
	if s := c.Snapshot(); s.Extractions.Total != 0 || s.Calls.Total != 0 {
		t.Errorf("snapshot %+v", s)
	}
}

// A plain call is counted as one however its request is filled in: the
// report says which operation it was (reask.Report.Plain), the collector
// does not guess it from a mode, which a call may carry too.
func TestOperationIsTheReportsWord(t *testing.T) {
	clk := clock.NewFake(start)
	c, err := metrics.New(metrics.Config{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	client := newClient(t, c, clk, content(`{"name":"Ann","age":30}`))
	msgs := []reask.Message{{Role: reask.RoleUser, Content: "x"}}
	for _, req := range []*reask.Request{
		{Messages: msgs},
		{Messages: msgs, Mode: reask.ModeJSONSchema, Schema: personSchema.JSON(), SchemaName: "person"},
	} {
		_, rep, err := client.Send(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		if metrics.Operation(rep) != metrics.OpCall {
			t.Errorf("mode %q: operation %q, want %q", req.Mode, metrics.Operation(rep), metrics.OpCall)
		}
	}
	if _, rep, err := client.Run(t.Context(), reask.Task{Schema: personSchema, Messages: msgs}); err != nil || metrics.Operation(rep) != metrics.OpExtract {
		t.Fatalf("run: operation %q, error %v", metrics.Operation(rep), err)
	}
	got := scrape(t, c)
	for series, v := range map[string]float64{
		`reask_results_total{operation="call",outcome="ok"}`:    2,
		`reask_results_total{operation="extract",outcome="ok"}`: 1,
		`reask_attempts_count{operation="extract"}`:             1,
	} {
		if got[series] != v {
			t.Errorf("%s = %v, want %v", series, got[series], v)
		}
	}
	if f := c.Snapshot(); f.Calls.Total != 2 || f.Extractions.Total != 1 {
		t.Errorf("snapshot: %d calls, %d extractions; want 2 and 1", f.Calls.Total, f.Extractions.Total)
	}
}
