package metrics_test

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/reask/reask"
	"github.com/reask/reask/breaker"
	"github.com/reask/reask/clock"
	"github.com/reask/reask/internal/reasktest"
	"github.com/reask/reask/metrics"
	"github.com/reask/reask/provider/openai"
)

// TestBreakerRefusalsAreNotResults: a request an open breaker refused is a
// refusal — not a result, an attempt, a call or a failed extraction.
func TestBreakerRefusalsAreNotResults(t *testing.T) {
	clk := clock.NewFake(start)
	c, err := metrics.New(metrics.Config{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(&answers{steps: []answer{{status: 503, body: `{"error":{"message":"down","type":"server_error"}}`}}})
	t.Cleanup(srv.Close)
	p := openai.NewProvider(openai.Config{BaseURL: srv.URL, Model: "m", Name: "up/m", Clock: clk})
	client := reasktest.NewClient(t, p, reask.Config{Clock: clk, Observer: c.Observe, MaxTransportRetries: -1, Breaker: breaker.Settings{MinCalls: 2, Threshold: 0.5, CoolDown: time.Minute}})
	c.Watch(client.Status)
	task := reask.Task{Schema: personSchema, Messages: []reask.Message{{Role: reask.RoleUser, Content: "x"}}}
	for i := range 5 {
		_, _, err := client.Run(t.Context(), task)
		if refused := errors.Is(err, reask.ErrCircuitOpen); refused != (i >= 2) {
			t.Fatalf("run %d: %v", i, err)
		}
	}
	if _, _, err := client.Send(t.Context(), &reask.Request{Messages: task.Messages}); !errors.Is(err, reask.ErrCircuitOpen) {
		t.Fatalf("call: %v", err)
	}
	got := scrape(t, c)
	want := map[string]float64{
		`reask_results_total{operation="extract",outcome="server"}`:            2,
		`reask_refused_total{client="",model="",operation="extract"}`:          3,
		`reask_refused_total{client="",model="",operation="call"}`:             1,
		`reask_breaker_refusals_total{provider="up/m"}`:                        4,
		`reask_calls_total{outcome="server",provider="up/m"}`:                  2,
		`reask_attempts_count{operation="extract"}`:                            2,
		`reask_attempts_sum{operation="extract"}`:                              2,
		`reask_result_duration_seconds_count{operation="extract"}`:             2,
		`reask_attempt_outcomes_total{outcome="server",provider="up/m"}`:       2,
		`reask_breaker_state{provider="up/m"}`:                                 2,
		`reask_call_duration_seconds_count{provider="up/m"}`:                   2,
		`reask_results_total{operation="extract",outcome="circuit_open"}`:      0,
		`reask_results_total{operation="call",outcome="circuit_open"}`:         0,
		`reask_calls_total{outcome="circuit_open",provider="up/m"}`:            0,
		`reask_attempt_outcomes_total{outcome="circuit_open",provider="up/m"}`: 0,
		`reask_requests_total{client="",model="",outcome="server"}`:            0,
		`reask_request_duration_seconds_count{client="",model=""}`:             0,
	}
	for series, v := range want {
		if g := got[series]; g != v {
			t.Errorf("%s = %v, want %v", series, g, v)
		}
	}
	s := c.Snapshot()
	wantTotals := metrics.Totals{Total: 2, Failed: 2, Refused: 3}
	if s.Extractions != wantTotals || s.Calls != (metrics.Totals{Refused: 1}) || s.Window.Extractions != wantTotals {
		t.Errorf("extractions %+v calls %+v window %+v", s.Extractions, s.Calls, s.Window.Extractions)
	}
	if s.Attempts[1] != 2 || len(s.Attempts) != 1 || s.ErrorKinds["circuit_open"] != 0 || s.Outcomes["circuit_open"] != 0 {
		t.Errorf("attempts %v error kinds %v outcomes %v", s.Attempts, s.ErrorKinds, s.Outcomes)
	}
	if p := s.Timeline[len(s.Timeline)-1]; p.Results != 2 || p.Failed != 2 || p.Refused != 4 || p.Attempts != 2 {
		t.Errorf("timeline point %+v", p)
	}
}

// TestAttemptsMadeLeavesOutARefusedLastAttempt: an extraction whose second
// attempt the breaker refused made one attempt.
func TestAttemptsMadeLeavesOutARefusedLastAttempt(t *testing.T) {
	rep := &reask.Report{Attempts: 2, Calls: 1, Outcome: reask.KindCircuitOpen, Mode: reask.ModeJSONSchema, Records: []reask.Attempt{
		{Number: 1, Outcome: reask.KindSchema, Calls: []reask.Call{{Outcome: reask.KindOK}}},
		{Number: 2, Outcome: reask.KindCircuitOpen, Calls: []reask.Call{{Outcome: reask.KindCircuitOpen}}},
	}}
	if metrics.Refused(rep) || metrics.AttemptsMade(rep) != 1 {
		t.Errorf("refused %v attempts %d", metrics.Refused(rep), metrics.AttemptsMade(rep))
	}
	c, _ := metrics.New(metrics.Config{Clock: clock.NewFake(start)})
	c.Observe(t.Context(), reask.Event{Kind: reask.EventResult, Report: rep})
	if s := c.Snapshot(); s.Extractions != (metrics.Totals{Total: 1, Failed: 1}) || s.Attempts[1] != 1 || s.Outcomes["circuit_open"] != 1 {
		t.Errorf("snapshot %+v", s.Figures)
	}
}

func result(outcome reask.Kind, attempts int, d time.Duration) reask.Event {
	return reask.Event{Kind: reask.EventResult, Report: &reask.Report{Mode: reask.ModeJSONSchema, Outcome: outcome,
		Attempts: attempts, Calls: attempts, Duration: d, WastedTokens: 10 * (attempts - 1),
		Usage: reask.Usage{TotalTokens: 10 * attempts}}}
}

// TestWindowFiguresFollowTheWindow: the windowed figures count only the
// buckets of the window asked for; the totals count everything.
func TestWindowFiguresFollowTheWindow(t *testing.T) {
	clk := clock.NewFake(start)
	c, _ := metrics.New(metrics.Config{Clock: clk}) // 5 min: 300 one-second buckets
	c.Observe(t.Context(), result(reask.KindOK, 1, time.Second))
	c.Observe(t.Context(), result(reask.KindSchema, 3, time.Second))
	clk.Advance(90 * time.Second)
	c.Observe(t.Context(), result(reask.KindOK, 2, time.Second))

	s := c.SnapshotFor(time.Minute)
	if w := s.Window; w.Seconds != 60 || !w.Since.Equal(start.Add(31*time.Second).Truncate(time.Second)) ||
		w.Extractions != (metrics.Totals{Total: 1, OK: 1}) || w.SuccessRate != 1 || w.Attempts[2] != 1 || len(w.Attempts) != 1 ||
		w.Tokens.Total != 20 || w.Tokens.Wasted != 10 || len(w.Outcomes) != 0 {
		t.Errorf("last minute %+v", w)
	}
	if s.Extractions != (metrics.Totals{Total: 3, OK: 2, Failed: 1}) || s.Tokens.Total != 60 {
		t.Errorf("since start %+v %+v", s.Extractions, s.Tokens)
	}
	if w := c.SnapshotFor(0).Window; w.Seconds != 300 || w.Extractions.Total != 3 || w.Outcomes["schema"] != 1 {
		t.Errorf("whole window %+v", w)
	}
	if w := c.SnapshotFor(time.Hour).Window; w.Seconds != 300 || w.Extractions.Total != 3 {
		t.Errorf("an hour, clamped to the collector's window: %+v", w)
	}
	clk.Advance(5 * time.Minute) // the ring has gone round: old buckets must not come back
	if w := c.SnapshotFor(0).Window; w.Extractions.Total != 0 || w.Latency.Count != 0 {
		t.Errorf("after the window passed: %+v", w)
	}
}

// TestWideWindowHasWiderBuckets: an hour's window keeps MaxBuckets buckets
// of 12 s, and a minute's figures cover five of them.
func TestWideWindowHasWiderBuckets(t *testing.T) {
	clk := clock.NewFake(time.Unix(1_800_000_000, 0)) // a multiple of 12 s
	c, _ := metrics.New(metrics.Config{Clock: clk, Window: time.Hour})
	c.Observe(t.Context(), result(reask.KindOK, 1, 0))
	clk.Advance(61 * time.Second)
	c.Observe(t.Context(), result(reask.KindOK, 1, 0))
	w := c.SnapshotFor(time.Minute).Window
	if w.Seconds != 60 || w.Extractions.Total != 1 || !w.Since.Equal(time.Unix(1_800_000_000+12, 0)) {
		t.Errorf("window %+v", w)
	}
}

// TestPerModelAndClientView: results observed with labels are split by
// model and client in the window and in the reask_request_* series.
func TestPerModelAndClientView(t *testing.T) {
	clk := clock.NewFake(start)
	c, _ := metrics.New(metrics.Config{Clock: clk})
	a := metrics.Labels{Model: "gpt-4o-mini", Client: "team-a"}
	b := metrics.Labels{Model: "gpt-4o", Client: "team-a"}
	for i := range 100 {
		c.ObserveLabeled(t.Context(), a, result(reask.KindOK, 1, time.Duration(i+1)*10*time.Millisecond))
	}
	c.ObserveLabeled(t.Context(), b, result(reask.KindSchema, 3, 2*time.Second))
	c.ObserveLabeled(t.Context(), b, reask.Event{Kind: reask.EventResult, Report: &reask.Report{Mode: reask.ModeJSONSchema,
		Outcome: reask.KindCircuitOpen, Attempts: 1}})
	w := c.Snapshot().Window
	if len(w.Models) != 2 || len(w.Clients) != 1 {
		t.Fatalf("models %+v clients %+v", w.Models, w.Clients)
	}
	m4o, mini, team := w.Models[0], w.Models[1], w.Clients[0]
	if m4o.Name != "gpt-4o" || m4o.Requests != 1 || m4o.Failed != 1 || m4o.Refused != 1 || m4o.Attempts != 3 || m4o.Wasted != 20 || m4o.SuccessRate != 0 {
		t.Errorf("gpt-4o %+v", m4o)
	}
	if mini.Name != "gpt-4o-mini" || mini.Requests != 100 || mini.OK != 100 || mini.SuccessRate != 1 || mini.Attempts != 100 {
		t.Errorf("gpt-4o-mini %+v", mini)
	}
	// 10 ms … 1 s: p50 is 500 ms, p90 900 ms, p99 990 ms; the histogram
	// answers at most 19% above, never above the maximum.
	for _, tc := range []struct {
		name      string
		got, want float64
	}{{"p50", mini.Latency.P50, 0.5}, {"p90", mini.Latency.P90, 0.9}, {"p99", mini.Latency.P99, 0.99}} {
		if tc.got < tc.want || tc.got > tc.want*1.19 || tc.got > 1 {
			t.Errorf("%s = %v, want within [%v, %v]", tc.name, tc.got, tc.want, tc.want*1.19)
		}
	}
	if team.Name != "team-a" || team.Requests != 101 || team.OK != 100 || team.Refused != 1 || team.Latency.Count != 101 || team.Latency.Max != 2 {
		t.Errorf("team-a %+v", team)
	}
	if w.Latency.Count != 101 || w.Latency.P99 > 2 || w.Latency.P99 < 0.99 {
		t.Errorf("window latency %+v", w.Latency)
	}
	got := scrape(t, c)
	for series, v := range map[string]float64{
		`reask_requests_total{client="team-a",model="gpt-4o-mini",outcome="ok"}`:    100,
		`reask_requests_total{client="team-a",model="gpt-4o",outcome="schema"}`:     1,
		`reask_request_attempts_total{client="team-a",model="gpt-4o"}`:              3,
		`reask_request_wasted_tokens_total{client="team-a",model="gpt-4o"}`:         20,
		`reask_request_duration_seconds_count{client="team-a",model="gpt-4o-mini"}`: 100,
		`reask_refused_total{client="team-a",model="gpt-4o",operation="extract"}`:   1,
	} {
		if got[series] != v {
			t.Errorf("%s = %v, want %v", series, got[series], v)
		}
	}
}
